// Where a packed dataset's input file is now. pack records each input's path relative to the
// dataset directory (`location` in manifest.json), so `dataset verify --source` and the stats
// persona join find it from any working directory, and after moving the dataset together with its
// inputs. Manifests written before `location` existed only have the path as given to pack, which
// was relative to pack's working directory: that is tried as given, then from the dataset folder.
import { existsSync } from "node:fs";
import { isAbsolute, relative, resolve, sep } from "node:path";
import type { InputEntry } from "./format.js";

/** The `location` pack writes for an input file: relative to the dataset dir, with `/` separators. */
export function inputLocation(datasetDir: string, inputPath: string): string {
  return relative(resolve(datasetDir), resolve(inputPath)).split(sep).join("/");
}

/** Candidate paths of an input, best first (the first that exists is the input). */
export function inputCandidates(datasetDir: string, input: Pick<InputEntry, "path" | "location">): string[] {
  const candidates: string[] = [];
  if (typeof input.location === "string") candidates.push(resolve(datasetDir, input.location));
  if (isAbsolute(input.path)) candidates.push(input.path);
  else candidates.push(resolve(input.path), resolve(datasetDir, input.path));
  return [...new Set(candidates)];
}

/** The input file's current path, or undefined when no candidate exists. */
export function locateInput(datasetDir: string, input: Pick<InputEntry, "path" | "location">): string | undefined {
  return inputCandidates(datasetDir, input).find((path) => existsSync(path));
}
