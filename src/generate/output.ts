// The output folder: conversations.jsonl and rejects.jsonl (appended and synced one line at a time,
// so kill -9 loses at most the line being written) and run.json (temp file + rename).
// Resuming: a half-written last line is cut off, and the ids already present are skipped.
import { closeSync, existsSync, fdatasyncSync, ftruncateSync, openSync, readSync, statSync, writeSync, fstatSync } from "node:fs";
import { join } from "node:path";
import { DataError, UsageError } from "../core/errors.js";
import { stringifyJson } from "../core/json.js";
import { readJsonl } from "../core/jsonl.js";
import { redactText } from "../core/redact.js";
import {
  foreignError,
  inspectOutputDir,
  lockOutput,
  makeDirs,
  PARTIAL_FILE_SUFFIX,
  writeFileAtomic,
  type OutputKind,
} from "../core/output.js";

export const CONVERSATIONS_FILE = "conversations.jsonl";
export const REJECTS_FILE = "rejects.jsonl";
export const RUN_FILE = "run.json";

/** A generate run's folder (rules in src/core/output.ts); run.json marks it as ours, so only then is it resumed. */
export const GENERATE_RUN: OutputKind = {
  what: "a generate run",
  // run.json.<pid>.tmp: the temp name of earlier versions
  isOurs: (name) =>
    [CONVERSATIONS_FILE, REJECTS_FILE, RUN_FILE, RUN_FILE + PARTIAL_FILE_SUFFIX].includes(name) || /^run\.json\.\d+\.tmp$/.test(name),
  isComplete: (names) => names.includes(RUN_FILE),
  howToReplace: "rerun with the same settings to resume it, or choose another --out",
};

/**
 * Checks --out before any work and creates it: it must be missing, empty, or a folder of a previous
 * generate run (it has run.json). Records without run.json are someone else's file: never appended to.
 */
export function claimOutputDir(dir: string): void {
  lockOutput(dir);
  const state = inspectOutputDir(dir, GENERATE_RUN);
  if (state.kind === "foreign") throw foreignError(dir, state.foreign);
  if (state.kind === "ours" && !state.names.includes(RUN_FILE)) {
    // Empty files hold nothing to protect: a run killed between opening them and writing run.json.
    const data = state.names.find((n) => (n === CONVERSATIONS_FILE || n === REJECTS_FILE) && statSync(join(dir, n)).size > 0);
    if (data)
      throw new UsageError(
        `${join(dir, data)} was not written by a datagen generate run (there is no ${RUN_FILE} beside it): ` +
          `it is not resumed or appended to; move it away or choose another --out`,
      );
  }
  makeDirs(dir);
}

export interface ResumeState {
  /** Ids already written (records) or given up on (rejects): skipped by this run. */
  done: Set<string>;
  /** The ids of the records, and of the rejects, already there. */
  recordIds: Set<string>;
  rejectIds: Set<string>;
  records: number;
  rejects: number;
  /** Bytes of half-written last lines that were cut off. */
  truncatedBytes: number;
}

/** Cuts a file back to its last complete line; returns the bytes removed. */
export function truncatePartialLine(path: string): number {
  if (!existsSync(path)) return 0;
  const fd = openSync(path, "r+");
  try {
    const size = fstatSync(fd).size;
    const chunk = Buffer.alloc(64 * 1024);
    let end = size;
    // Scan backwards for the last "\n"; everything after it is an unfinished line.
    while (end > 0) {
      const start = Math.max(0, end - chunk.length);
      const n = readSync(fd, chunk, 0, end - start, start);
      const nl = chunk.subarray(0, n).lastIndexOf(10);
      if (nl !== -1) {
        const keep = start + nl + 1;
        if (keep < size) ftruncateSync(fd, keep);
        return size - keep;
      }
      end = start;
    }
    if (size > 0) ftruncateSync(fd, 0);
    return size;
  } finally {
    closeSync(fd);
  }
}

async function readIds(path: string, into: Set<string>): Promise<number> {
  if (!existsSync(path)) return 0;
  let count = 0;
  for await (const item of readJsonl(path)) {
    const id = "value" in item ? (item.value as { id?: unknown } | null)?.id : undefined;
    if (typeof id !== "string") {
      const reason = "error" in item ? item.error.code : "missing_id";
      throw new DataError(reason, "a complete line of a previous run is unreadable; move the file away or fix the line", {
        file: path,
        line: item.line,
      });
    }
    into.add(id);
    count++;
  }
  return count;
}

export async function prepareOutput(dir: string): Promise<ResumeState> {
  claimOutputDir(dir);
  const conversations = join(dir, CONVERSATIONS_FILE);
  const rejects = join(dir, REJECTS_FILE);
  const truncatedBytes = truncatePartialLine(conversations) + truncatePartialLine(rejects);
  const recordIds = new Set<string>();
  const rejectIds = new Set<string>();
  const records = await readIds(conversations, recordIds);
  const rejected = await readIds(rejects, rejectIds);
  return { done: new Set([...recordIds, ...rejectIds]), recordIds, rejectIds, records, rejects: rejected, truncatedBytes };
}

/** An append-only JSONL file; each line is written whole and synced before the call returns. */
export class JsonlAppender {
  private readonly fd: number;

  constructor(readonly path: string) {
    this.fd = openSync(path, "a");
  }

  append(value: unknown): void {
    const line = Buffer.from(stringifyJson(value) + "\n", "utf8");
    let offset = 0;
    while (offset < line.length) offset += writeSync(this.fd, line, offset);
    fdatasyncSync(this.fd);
  }

  close(): void {
    closeSync(this.fd);
  }
}

/** Writes JSON atomically: a reader sees the old file or the new one, never a torn one. */
export function writeJsonAtomic(path: string, value: unknown): void {
  // run.json quotes settings and servers' messages: no credential or key may reach it.
  writeFileAtomic(path, redactText(JSON.stringify(value, null, 2)) + "\n");
}
