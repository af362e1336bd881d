// The output directory: refuse to overwrite a finished dataset without --force, never touch
// foreign files, and clear the leftovers of a killed run (it never left a manifest).
import { existsSync, mkdirSync, readdirSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { UsageError } from "../core/errors.js";
import { MANIFEST_FILE, isDatasetFileName } from "./format.js";

export function prepareOutputDir(dir: string, force: boolean): void {
  if (!existsSync(dir)) {
    mkdirSync(dir, { recursive: true });
    return;
  }
  if (!statSync(dir).isDirectory()) throw new UsageError(`--out ${dir} exists and is not a directory`);
  const names = readdirSync(dir);
  if (names.includes(MANIFEST_FILE) && !force) {
    throw new UsageError(`${dir} already holds a packed dataset (${MANIFEST_FILE}); pass --force to replace it`);
  }
  const foreign = names.filter((n) => !isDatasetFileName(n));
  if (foreign.length > 0) {
    const shown = foreign.slice(0, 5).join(", ") + (foreign.length > 5 ? ", …" : "");
    throw new UsageError(`--out ${dir} holds files that are not part of a datagen dataset (${shown}); use an empty or new directory`);
  }
  // The manifest goes first: a kill during cleanup must not leave it pointing at missing files.
  if (names.includes(MANIFEST_FILE)) rmSync(join(dir, MANIFEST_FILE));
  for (const n of names) if (n !== MANIFEST_FILE) rmSync(join(dir, n), { force: true });
}

/** Best-effort removal of this run's partial files after a failure. */
export function removePartialFiles(dir: string): void {
  if (!existsSync(dir)) return;
  for (const n of readdirSync(dir)) if (n.endsWith(".partial") && isDatasetFileName(n)) rmSync(join(dir, n), { force: true });
}
