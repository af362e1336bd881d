// The API key of the --server servers (vLLM and SGLang --api-key, llama-server --api-key), sent as
// `Authorization: Bearer KEY`. It comes from a file named by --api-key-file or from the
// DATAGEN_API_KEY environment variable, never from a visible command-line value; it is never put
// in run.json, a log or a message (core/redact.ts scrubs it from any text that quotes it back).
import { readFileSync, statSync } from "node:fs";
import { UsageError } from "../../core/errors.js";
import { registerSecret } from "../../core/redact.js";

export const API_KEY_ENV = "DATAGEN_API_KEY";
/** A key is a token, not a document: a larger file is the wrong file. */
const MAX_KEY_BYTES = 4096;

/** The key from `file` (first choice) or the environment; undefined when neither gives one. */
export function loadApiKey(file: string | null | undefined, env: NodeJS.ProcessEnv = process.env): string | undefined {
  let key: string | undefined;
  let source: string;
  if (file) {
    source = `--api-key-file ${file}`;
    let size: number;
    try {
      size = statSync(file).size;
    } catch (err) {
      throw new UsageError(`${source}: cannot read it (${(err as NodeJS.ErrnoException).code ?? "error"})`);
    }
    if (size > MAX_KEY_BYTES)
      throw new UsageError(`${source}: ${size} bytes is not an API key (at most ${MAX_KEY_BYTES}); name the file that holds only the key`);
    key = readFileSync(file, "utf8").trim();
  } else {
    source = `the ${API_KEY_ENV} environment variable`;
    key = env[API_KEY_ENV]?.trim();
    if (!key) return undefined;
  }
  // Never quote the key in these messages: say what is wrong with it.
  if (!key) throw new UsageError(`${source} is empty; it must hold the servers' API key`);
  if (/[\s\u0000-\u001f\u007f]/.test(key))
    throw new UsageError(`${source}: the key holds a space, line break or control character; it must be the key alone on one line`);
  registerSecret(key);
  return key;
}
