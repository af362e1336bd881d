// The pieces payloads are built from, shared by the generators (payloads.ts) and a user's corpus
// (haystack.ts), apart from both so neither imports the other for them.

/** One piece of a payload (a line, a paragraph, a file's header, an email). */
export interface PayloadUnit {
  text: string;
  /** What aggregation tasks count (an error code, a sender, a region, a TODO owner, ...). */
  group?: string;
  /** What they sum (a table row's amount, in cents). */
  amountCents?: number;
  /** A header that stays first (a CSV's column line). */
  fixed?: boolean;
  /** Put in by a task (a needle, an assignment): never dropped to fit the length. */
  inserted?: boolean;
}

/** A source of units for one payload: `source` names it, `next()` gives the following unit (null: no more). */
export interface UnitSource {
  source: string;
  header?: PayloadUnit[];
  next(): PayloadUnit | null;
  files?: string[];
}
