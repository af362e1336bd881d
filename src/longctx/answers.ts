// The answer check of long-context records (docs/LONG_CONTEXT.md): `meta.expected_answers` holds
// strings that the last assistant final must contain. One function, used by the validator's rule
// (so generate, validate and pack apply the same check) and by the eval suites.

/** Case and width folded, runs of whitespace made one space: "Not  Found" matches "not found". */
export function foldAnswerText(text: string): string {
  return text.normalize("NFKC").toLowerCase().replace(/\s+/gu, " ").trim();
}

/** The expected answers that `finalText` does not contain (compared without regard to case); empty when all are there. */
export function missingExpectedAnswers(finalText: string, expected: string[]): string[] {
  const haystack = foldAnswerText(finalText);
  return expected.filter((answer) => !haystack.includes(foldAnswerText(answer)));
}
