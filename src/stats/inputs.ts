// What each PATH given to `dataset stats report` is: conversation JSONL, a generate output
// folder (conversations.jsonl + rejects.jsonl), or a packed dataset folder (manifest.json).
import { existsSync, readdirSync, statSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { DataError, UsageError } from "../core/errors.js";
import { STDIN_ARG } from "../ingest/source.js";

export const REJECTS_FILE = "rejects.jsonl";
const PACKED_ONLY_FILES = new Set(["documents.jsonl"]);
/**
 * Files of a given folder read as raw inputs (a folder of Hugging Face Parquet shards included;
 * not *.json, which is generate's run.json).
 */
const INPUT_NAME = /\.(jsonl|parquet)$|\.(jsonl|json)\.(gz|zst)$/;

export interface ResolvedInputs {
  /** Conversation JSONL files, in the order given (a folder's files sorted by name). */
  raw: string[];
  /** rejects.jsonl files found next to raw inputs or in given folders (each once). */
  rejects: string[];
  /** Packed dataset folders. */
  packed: string[];
}

export function resolveInputs(paths: string[]): ResolvedInputs {
  const out: ResolvedInputs = { raw: [], rejects: [], packed: [] };
  const addOnce = (list: string[], path: string) => {
    if (!list.includes(path)) list.push(path);
  };
  for (const path of paths) {
    if (path === STDIN_ARG) {
      addOnce(out.raw, path);
      continue;
    }
    if (!existsSync(path)) throw new UsageError(`no such file or folder: ${path}`);
    if (statSync(path).isDirectory()) {
      resolveFolder(path, out, addOnce);
    } else if (basename(path) === REJECTS_FILE) {
      addOnce(out.rejects, path);
    } else {
      addOnce(out.raw, path);
      const rejects = join(dirname(path), REJECTS_FILE);
      if (existsSync(rejects)) addOnce(out.rejects, rejects);
    }
  }
  return out;
}

function resolveFolder(dir: string, out: ResolvedInputs, addOnce: (list: string[], path: string) => void): void {
  const names = readdirSync(dir).sort();
  if (names.includes("manifest.json")) {
    addOnce(out.packed, dir);
    return;
  }
  if (names.some((n) => PACKED_ONLY_FILES.has(n))) {
    throw new DataError("packed_incomplete", "has documents.jsonl but no manifest.json: an unfinished or killed pack run; pack it again", {
      file: dir,
    });
  }
  const jsonl = names.filter((n) => INPUT_NAME.test(n) && n !== REJECTS_FILE);
  if (jsonl.length === 0 && !names.includes(REJECTS_FILE)) {
    throw new UsageError(
      `${dir}: no input files (.jsonl, .parquet, .jsonl.gz, .jsonl.zst) and no manifest.json: expected conversation records, ` +
        `a generate output folder or a packed dataset`,
    );
  }
  for (const n of jsonl) addOnce(out.raw, join(dir, n));
  if (names.includes(REJECTS_FILE)) addOnce(out.rejects, join(dir, REJECTS_FILE));
}
