// The packed dataset as an output folder (rules in src/core/output.ts): ours when every entry is a
// dataset file name; finished when it has manifest.json (written last). A folder of dataset files
// without a manifest is what a killed run left: it is cleared without --force.
import { existsSync, readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import type { OutputKind } from "../core/output.js";
import { MANIFEST_FILE, isDatasetFileName } from "./format.js";

export const PACKED_DATASET: OutputKind = {
  what: "a packed dataset",
  isOurs: isDatasetFileName,
  isComplete: (names) => names.includes(MANIFEST_FILE),
  isDisposable: (names) => !names.includes(MANIFEST_FILE),
  howToReplace: "pass --force to replace it (the old dataset stays until the new one is complete)",
};

/** Best-effort removal of this run's partial files after a failure. */
export function removePartialFiles(dir: string): void {
  if (!existsSync(dir)) return;
  for (const n of readdirSync(dir)) if (n.endsWith(".partial") && isDatasetFileName(n)) rmSync(join(dir, n), { force: true });
}
