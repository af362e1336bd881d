// A user's corpus as a payload (`--haystack DIR`): text files under DIR, in an order drawn from the
// seed, cut into blocks of lines. Nothing outside DIR is read: symbolic links are skipped (they may
// point anywhere), every path is resolved and checked to stay under DIR's real path, files over
// MAX_FILE_BYTES and files that are not UTF-8 text are skipped, and no more is read than the
// payload needs (about 8 bytes a token, at most MAX_TOTAL_BYTES).
import { closeSync, fstatSync, lstatSync, openSync, readdirSync, readSync, realpathSync } from "node:fs";
import { join, relative, sep } from "node:path";
import { UsageError } from "../core/errors.js";
import type { PayloadUnit, UnitSource } from "./units.js";
import type { LongRng } from "./rng.js";

export const MAX_FILE_BYTES = 1 << 20;
export const MAX_TOTAL_BYTES = 64 << 20;
const MAX_FILES_LISTED = 100_000;
const LINES_PER_UNIT = 24;

/** Regular files under `root` (not following links), relative paths sorted. */
function listFiles(root: string): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
      if (out.length >= MAX_FILES_LISTED) return;
      if (entry.name.startsWith(".")) continue;
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.isFile()) out.push(relative(root, path));
    }
  };
  walk(root);
  return out;
}

const decoder = new TextDecoder("utf-8", { fatal: true });

/** The file's text, or null when it is not a plain UTF-8 text file of at most MAX_FILE_BYTES. */
function readText(root: string, rel: string): string | null {
  const path = join(root, rel);
  const stat = lstatSync(path);
  if (!stat.isFile() || stat.size === 0 || stat.size > MAX_FILE_BYTES) return null;
  if (!realpathSync(path).startsWith(root + sep)) return null;
  const fd = openSync(path, "r");
  try {
    const size = fstatSync(fd).size;
    if (size > MAX_FILE_BYTES) return null;
    const bytes = Buffer.alloc(size);
    const read = readSync(fd, bytes, 0, size, 0);
    if (bytes.subarray(0, read).includes(0)) return null;
    return decoder.decode(bytes.subarray(0, read));
  } catch (err) {
    if (err instanceof TypeError) return null; // not UTF-8
    throw err;
  } finally {
    closeSync(fd);
  }
}

export function readHaystack(dir: string, rng: LongRng, targetTokens: number): UnitSource {
  let root: string;
  try {
    root = realpathSync(dir);
    if (!lstatSync(root).isDirectory()) throw new Error("not a folder");
  } catch (err) {
    throw new UsageError(`--haystack ${dir}: ${(err as Error).message}; give a folder of text files`);
  }
  const files = rng.sample(listFiles(root), MAX_FILES_LISTED);
  const wantBytes = Math.min(MAX_TOTAL_BYTES, targetTokens * 8);
  const units: PayloadUnit[] = [];
  const used: string[] = [];
  let bytes = 0;
  for (const rel of files) {
    if (bytes >= wantBytes) break;
    const text = readText(root, rel);
    if (text === null || !text.trim()) continue;
    used.push(rel);
    bytes += Buffer.byteLength(text);
    units.push({ text: `\n===== ${rel.split(sep).join("/")} =====` });
    const lines = text.replace(/\r\n?/g, "\n").split("\n");
    for (let i = 0; i < lines.length; i += LINES_PER_UNIT) units.push({ text: lines.slice(i, i + LINES_PER_UNIT).join("\n") });
  }
  if (units.length === 0) throw new UsageError(`--haystack ${dir}: no readable UTF-8 text file of at most ${MAX_FILE_BYTES} bytes in it`);
  let index = 0;
  // Past the corpus's end the payload simply ends (shorter than asked; its length is reported).
  return { source: dir, files: used, next: () => (index < units.length ? units[index++] : null) };
}
