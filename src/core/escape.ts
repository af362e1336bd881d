// Text a script or a terminal can trust. Ids, messages and paths come from the user's data: printed
// raw, a "\n" in an id forges a second report line and an ESC sequence can clear the screen. Every
// text printer passes such values through escapeControls; every --json printer uses jsonLine.

/**
 * C0 controls, DEL, C1 controls, and the Unicode line/paragraph separators (which some terminals
 * and editors treat as line breaks). Tab and newline are listed too: inside one report field they
 * would split or shift the line. Bidirectional marks, embeddings, overrides and isolates too: an
 * RLO in an id reorders the rest of the report line on screen (text shown with its layout keeps
 * them, as right-to-left content needs them).
 */
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

const NAMED: Record<string, string> = { "\n": "\\n", "\r": "\\r", "\t": "\\t" };

/** `s` with every control character written as \n, \r, \t or \u00XX: always one printable line. */
export function escapeControls(s: string): string {
  return s.replace(CONTROL, (c) => NAMED[c] ?? `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

const CONTROL_EXCEPT_LAYOUT = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g;

/**
 * For multi-line text shown as text (a record's rendered conversation): newlines and tabs are kept,
 * every other control character is escaped as in escapeControls (no terminal escape sequences).
 */
export function escapeControlsKeepLayout(s: string): string {
  return s.replace(CONTROL_EXCEPT_LAYOUT, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

/** One JSON document on one line (JSON.stringify escapes every control character): `| head -1 | jq` works. */
export function jsonLine(value: unknown): string {
  return JSON.stringify(value) + "\n";
}
