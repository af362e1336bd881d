// Text normalization shared by exact- and near-duplicate detection and refusal matching.

const ASCII = /^[\x00-\x7f]*$/;

/** NFKC, lower case, curly quotes made straight, runs of whitespace collapsed, trimmed. */
export function normalizeText(text: string): string {
  // NFKC is the costly step and a no-op on ASCII.
  return (ASCII.test(text) ? text : text.normalize("NFKC"))
    .toLowerCase()
    .replace(/[\u2018\u2019\u02bc]/g, "'")
    .replace(/[\u201c\u201d]/g, '"')
    .replace(/\s+/g, " ")
    .trim();
}

const WORD = /[\p{L}\p{N}']+/gu;

/** The words of a normalized text (letters, digits and apostrophes). */
export function words(normalized: string): string[] {
  return normalized.match(WORD) ?? [];
}
