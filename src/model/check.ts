// The one check of a --model argument, shared by generate and train, before anything loads it:
// node-llama-cpp and the trainer otherwise fail on a folder, a text file or a cut-off download with
// a stack trace or an mmap error that does not say what is wrong.
import { statSync } from "node:fs";
import { UsageError } from "../core/errors.js";
import { readGguf } from "./gguf.js";

/**
 * Usage error (exit 2) when `path` is missing or not a regular file; GgufError (exit 1, reason code
 * gguf-bad-magic, gguf-truncated, …) when it is not a complete GGUF file. Reads the header only: the
 * tensor table says where the data ends, which the file's size must reach.
 */
export function checkModelFile(path: string, flag = "--model"): void {
  let isFile: boolean;
  try {
    isFile = statSync(path).isFile();
  } catch {
    throw new UsageError(`${flag} ${path}: no such file`);
  }
  if (!isFile) throw new UsageError(`${flag} ${path}: not a regular file (give a .gguf model file)`);
  readGguf(path);
}
