// The output folder: conversations.jsonl and rejects.jsonl (appended and synced one line at a time,
// so kill -9 loses at most the line being written) and run.json (temp file + rename).
// Resuming: a half-written last line is cut off, and the ids already present are skipped.
import { closeSync, existsSync, fdatasyncSync, ftruncateSync, mkdirSync, openSync, readSync, renameSync, writeFileSync, writeSync, fstatSync } from "node:fs";
import { join } from "node:path";
import { DataError } from "../core/errors.js";
import { readJsonl } from "../core/jsonl.js";

export const CONVERSATIONS_FILE = "conversations.jsonl";
export const REJECTS_FILE = "rejects.jsonl";
export const RUN_FILE = "run.json";

export interface ResumeState {
  /** Ids already written (records) or given up on (rejects): skipped by this run. */
  done: Set<string>;
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
      throw new DataError(reason, "a complete line of a previous run is unreadable; move the file away or fix the line", { file: path, line: item.line });
    }
    into.add(id);
    count++;
  }
  return count;
}

export async function prepareOutput(dir: string): Promise<ResumeState> {
  mkdirSync(dir, { recursive: true });
  const conversations = join(dir, CONVERSATIONS_FILE);
  const rejects = join(dir, REJECTS_FILE);
  const truncatedBytes = truncatePartialLine(conversations) + truncatePartialLine(rejects);
  const done = new Set<string>();
  const records = await readIds(conversations, done);
  const rejected = await readIds(rejects, done);
  return { done, records, rejects: rejected, truncatedBytes };
}

/** An append-only JSONL file; each line is written whole and synced before the call returns. */
export class JsonlAppender {
  private readonly fd: number;

  constructor(readonly path: string) {
    this.fd = openSync(path, "a");
  }

  append(value: unknown): void {
    const line = Buffer.from(JSON.stringify(value) + "\n", "utf8");
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
  const temp = `${path}.${process.pid}.tmp`;
  writeFileSync(temp, JSON.stringify(value, null, 2) + "\n");
  const fd = openSync(temp, "r");
  try {
    fdatasyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(temp, path);
}
