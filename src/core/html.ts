// The page scaffold of datagen's self-contained HTML reports (stats report, eval report): one
// inline style sheet, no scripts and no external resources, so a page opens offline and makes no
// network request. Each report adds only its own rules and body.

/** Rules every report shares: page, headings, tables, chart figures. */
const BASE_STYLE = `
body { font: 14px/1.45 system-ui, sans-serif; color: #1d2733; margin: 2rem auto; max-width: 1100px; padding: 0 1rem; }
h1 { font-size: 1.5rem; margin-bottom: .2rem; } h2 { font-size: 1.15rem; margin-top: 2rem; border-bottom: 1px solid #dde3ea; }
table { border-collapse: collapse; font-size: .85rem; } caption { text-align: left; padding: .3rem 0; }
th, td { padding: .15rem .6rem; border-bottom: 1px solid #edf0f4; white-space: nowrap; }
td:not(:first-child), th:not(:first-child) { text-align: right; }
th { color: #5b6878; font-weight: 500; }
figure.chart { margin: 1.2rem 0; } figcaption { color: #5b6878; font-size: .85rem; margin-bottom: .4rem; }
figcaption strong { color: #1d2733; font-size: 1rem; display: block; }`;

export interface HtmlPage {
  /** The <title>. */
  title: string;
  /** The page's own CSS rules, after the shared ones. */
  style: string;
  /** Everything inside <body>, already escaped. */
  body: string;
}

export function htmlPage(page: HtmlPage): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(page.title)}</title>
<style>${BASE_STYLE}${page.style}</style>
</head>
<body>
${page.body}
</body>
</html>
`;
}

/** A chart as a captioned figure; `svg` is trusted markup (rendered by Vega in Node). */
export function chartFigure(chart: { id: string; title: string; caption: string }, svg: string): string {
  return (
    `<figure class="chart" data-chart="${escapeHtml(chart.id)}">` +
    `<figcaption><strong>${escapeHtml(chart.title)}</strong>${escapeHtml(chart.caption)}</figcaption>` +
    `${svg}</figure>`
  );
}

/** A captioned table of text cells; `cellClass` may give a cell a CSS class. */
export function htmlTable(caption: string, header: string[], rows: string[][], cellClass?: (cell: string) => string | null): string {
  const head = `<tr>${header.map((h) => `<th>${escapeHtml(h)}</th>`).join("")}</tr>`;
  const cell = (c: string): string => {
    const cls = cellClass?.(c);
    return `<td${cls ? ` class="${escapeHtml(cls)}"` : ""}>${escapeHtml(c)}</td>`;
  };
  const body = rows.map((r) => `<tr>${r.map(cell).join("")}</tr>`).join("");
  return `<table><caption>${escapeHtml(caption)}</caption>${head}${body}</table>`;
}

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);
}
