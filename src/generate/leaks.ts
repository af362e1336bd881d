// Reasoning and finals must stand on what the trained model sees (the conversation, its tools, the
// persona line), never on what only the generator saw: the scenario brief, the hidden guidance, the
// simulation itself. A leak is a phrase of templates/prompts/leak-phrases.txt, or a run of
// COPIED_WORDS words copied from the brief or the guidance.
export const COPIED_WORDS = 8;

const words = (text: string): string[] => text.toLowerCase().match(/[\p{L}\p{N}']+/gu) ?? [];

function runs(text: string): Set<string> {
  const w = words(text);
  const out = new Set<string>();
  for (let i = 0; i + COPIED_WORDS <= w.length; i++) out.add(w.slice(i, i + COPIED_WORDS).join(" "));
  return out;
}

/** The leaked phrase, or null. */
export function leakIn(text: string, hidden: string[], patterns: RegExp[]): string | null {
  for (const pattern of patterns) {
    const m = pattern.exec(text);
    if (m) return m[0];
  }
  const own = runs(text);
  if (own.size === 0) return null;
  for (const h of hidden) for (const run of runs(h)) if (own.has(run)) return run;
  return null;
}

/** leak-phrases.txt → patterns (one regular expression a line; # comments). */
export function parseLeakPatterns(text: string, file: string): RegExp[] {
  return text
    .split("\n")
    .map((line, i) => ({ line: line.trim(), n: i + 1 }))
    .filter(({ line }) => line !== "" && !line.startsWith("#"))
    .map(({ line, n }) => {
      try {
        return new RegExp(line, "iu");
      } catch (err) {
        throw new Error(`${file}:${n}: not a regular expression: ${(err as Error).message}`);
      }
    });
}
