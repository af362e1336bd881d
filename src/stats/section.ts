// One table of the report, as header + rows: the shape every section builder returns and both the
// terminal and the HTML printer take (kept apart from the builders, so none imports another for it).
export interface Section {
  title: string;
  header: string[];
  rows: string[][];
}
