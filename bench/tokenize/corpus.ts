// The benchmark text: ~16 MB, deterministic for a given node_modules (the lockfile):
// 1/8 Markdown docs and 3/8 JS/TS sources from node_modules (real English prose and code),
// 1/2 generated mixed text (many scripts, JSON, emoji, whitespace runs, digits).
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { mixedText } from "../../test/fixtures/tokenize/mixed-text.js";

function listFiles(dir: string, accept: (name: string) => boolean, out: string[] = []): string[] {
  for (const entry of readdirSync(dir).sort()) {
    const path = join(dir, entry);
    const stat = statSync(path, { throwIfNoEntry: false });
    if (stat?.isDirectory()) listFiles(path, accept, out);
    else if (stat?.isFile() && accept(entry)) out.push(path);
  }
  return out;
}

/** Concatenate files in order until `chars`; skips minified files (very long lines). */
function take(files: string[], chars: number): string {
  const parts: string[] = [];
  let length = 0;
  for (const file of files) {
    if (length >= chars) break;
    const text = readFileSync(file, "utf8").slice(0, 100_000);
    const lines = text.split("\n").length;
    if (text.length / lines > 200) continue;
    parts.push(text);
    length += text.length;
  }
  return parts.join("\n").slice(0, chars);
}

export function benchCorpus(megabytes: number, root = "node_modules"): string {
  const chars = megabytes * 1_000_000;
  const docs = take(
    listFiles(root, (n) => /\.md$/i.test(n)),
    chars / 8,
  );
  const code = take(
    listFiles(root, (n) => /\.(js|ts|mjs|cjs)$/.test(n) && !n.includes(".min.")),
    (chars * 3) / 8,
  );
  const generated = mixedText(chars / 2, 16);
  return [docs, code, generated].join("\n");
}
