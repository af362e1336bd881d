// The export's output folder and files, on the shared rules of src/core/output.ts: refuse a
// folder holding anything else, refuse a finished export unless --force (then swap it in at the
// end), write each file atomically. README.md is written last: a folder without it is a killed run.
import { closeSync, fsyncSync, openSync, renameSync, rmSync, writeSync } from "node:fs";
import { openOutputDir, outputFsError, PARTIAL_FILE_SUFFIX, writeFileAtomic, type OutputDir, type OutputKind } from "../core/output.js";

export const CARD_FILE = "README.md";
export const REJECTS_FILE = "rejects.jsonl";
export const SUMMARY_FILE = "export.json";
export const TEXT_FILE = "data.jsonl";

const OUR_NAMES = /^(part-\d{5,}(\.idx)?\.parquet|README\.md|rejects\.jsonl|export\.json|data\.jsonl)(\.partial)?$/;

export const EXPORT_OUTPUT: OutputKind = {
  what: "an export",
  isOurs: (name) => OUR_NAMES.test(name),
  isComplete: (names) => names.includes(CARD_FILE),
  isDisposable: (names) => !names.includes(CARD_FILE),
  howToReplace: "pass --force to replace it",
};

export function openExportDir(out: string, force: boolean, inputs: string[]): OutputDir {
  return openOutputDir(out, EXPORT_OUTPUT, { force, inputs });
}

/** One whole file, atomically. */
export function writeOutputFile(path: string, content: string | Uint8Array): void {
  writeFileAtomic(path, content);
}

/** A file written piece by piece to FILE.partial and renamed into place by close(). */
export class StreamedFile {
  private fd: number;
  private readonly temp: string;
  bytes = 0;

  constructor(readonly path: string) {
    this.temp = path + PARTIAL_FILE_SUFFIX;
    try {
      this.fd = openSync(this.temp, "w");
    } catch (err) {
      throw outputFsError(err, "write", path);
    }
  }

  write(text: string): void {
    const data = Buffer.from(text, "utf8");
    let done = 0;
    while (done < data.length) done += writeSync(this.fd, data, done, data.length - done);
    this.bytes += data.length;
  }

  close(): void {
    fsyncSync(this.fd);
    closeSync(this.fd);
    this.fd = -1;
    renameSync(this.temp, this.path);
  }

  /** After a failure: drop the partial file. */
  discard(): void {
    if (this.fd >= 0) closeSync(this.fd);
    this.fd = -1;
    rmSync(this.temp, { force: true });
  }
}
