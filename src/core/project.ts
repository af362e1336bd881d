// Where the project's own files live (schemas/, the model cache, trainer/), from src/ under tsx
// and from dist/src/ once compiled alike.
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** Nearest folder above this module holding a package.json. */
export function projectRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, "package.json"))) {
    const up = dirname(dir);
    if (up === dir)
      throw new Error(`datagen: no package.json above ${fileURLToPath(import.meta.url)} (cannot find schemas/ or place the model cache)`);
    dir = up;
  }
  return dir;
}
