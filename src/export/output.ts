// The export's output folder and files, on the shared rules of src/core/output.ts: refuse a
// folder holding anything else, refuse a finished export unless --force (then swap it in at the
// end), write each file atomically. README.md is written last: a folder without it is a killed run.
// Nothing else goes beside the Parquet parts: `load_dataset("parquet", data_dir=DIR)` reads every file but README.md.
import { readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { openOutputDir, writeFileAtomic, type OutputDir, type OutputKind } from "../core/output.js";

export const CARD_FILE = "README.md";
export const REJECTS_FILE = "rejects.jsonl";
export const TEXT_FILE = "data.jsonl";

const OUR_NAMES = /^(part-\d{5,}(\.idx)?\.parquet|README\.md|rejects\.jsonl|data\.jsonl)(\.partial)?$/;

export const EXPORT_OUTPUT: OutputKind = {
  what: "an export",
  isOurs: (name) => OUR_NAMES.test(name),
  isComplete: (names) => names.includes(CARD_FILE),
  isDisposable: (names) => !names.includes(CARD_FILE),
  howToReplace: "pass --force to replace it",
};

export function openExportDir(out: string, force: boolean, inputs: string[]): OutputDir {
  const dir = openOutputDir(out, EXPORT_OUTPUT, { force, inputs });
  // A run that exits part way (Ctrl-C) takes its unfinished files with it, so no folder of Parquet
  // parts without README.md is left for a reader to mistake for a dataset; kill -9 still leaves
  // them, and the next run clears them as a leftover.
  const dropUnfinished = () => removeExportFiles(dir.dir);
  process.once("exit", dropUnfinished);
  const settle = () => process.off("exit", dropUnfinished);
  return {
    ...dir,
    commit: () => {
      settle();
      dir.commit();
    },
    abort: () => {
      settle();
      dir.abort();
    },
  };
}

/** After a failed export: remove every file it may have written into `dir` (ours by name only). */
export function removeExportFiles(dir: string): void {
  let names: string[] = [];
  try {
    names = readdirSync(dir);
  } catch {
    return;
  }
  for (const name of names) if (OUR_NAMES.test(name)) rmSync(join(dir, name), { force: true });
}

/** One whole file, atomically. */
export function writeOutputFile(path: string, content: string | Uint8Array): void {
  writeFileAtomic(path, content);
}
