// How many worker threads an input is worth. Each thread loads its own module graph, tokenizer
// and schemas (about a fifth of a second of CPU, measured with --cpu-prof), so below a size the
// work stays on the calling thread; the output is the same either way.
import { statSync } from "node:fs";
import { availableParallelism } from "node:os";
import { STDIN_ARG } from "./source.js";

/** The core count when `bytes` (undefined: unknown, as for stdin) reaches `fromBytes`, else 0; 0 on one core. */
export function threadsForBytes(bytes: number | undefined, fromBytes: number): number {
  const cores = availableParallelism();
  if (cores < 2) return 0;
  return bytes === undefined || bytes >= fromBytes ? cores : 0;
}

/** threadsForBytes over the files' total size; stdin among them counts as big. */
export function threadsForInputs(paths: readonly string[], fromBytes: number): number {
  const bytes = paths.includes(STDIN_ARG) ? undefined : paths.reduce((sum, p) => sum + statSync(p).size, 0);
  return threadsForBytes(bytes, fromBytes);
}
