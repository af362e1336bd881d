// The one reader of a packed dataset's manifest.json, shared by every command that reads a dataset
// (dataset verify, stats, export, train): nothing in a manifest is trusted. It is checked against
// schemas/manifest.schema.json before any field is used (types, bounded counts, plain file names),
// then against the tokenizer, and every file it names must resolve inside the dataset folder after
// symlinks (datasetFile). docs/FORMAT.md states the rules.
import { closeSync, fstatSync, openSync, readFileSync, readSync, realpathSync } from "node:fs";
import { join, resolve, sep } from "node:path";
import type { ErrorObject, ValidateFunction } from "ajv/dist/2020.js";
import { DataError } from "../core/errors.js";
import { ownSchemasAjv, schemasDir } from "../validate/schemas.js";
import { SHAPE_NAMES } from "../ingest/shapes/index.js";
import { isMaskMode } from "../render/mask.js";
import { FORMAT_NAME, FORMAT_VERSION, MANIFEST_FILE, SHARD_KINDS, type FileEntry, type Manifest } from "./format.js";

/** The tokenizer's vocabulary (o200k_harmony; tokenize/o200k_harmony.ts N_VOCAB, not imported: it loads the ranks). */
export const TOKENIZER_VOCAB = 201_088;
/** A manifest larger than this is not one pack wrote (a million shards is ~2 GiB of JSON; pack writes ~1 KiB per shard). */
export const MAX_MANIFEST_BYTES = 256 << 20;
/** Samples over all shards: each is at least 4 bytes of tokens, and typed arrays per sample must fit. */
export const MAX_TOTAL_SAMPLES = 2 ** 31 - 1;

const SHARD_SUFFIX: Record<(typeof SHARD_KINDS)[number], string> = {
  tokens: ".tokens.u32",
  mask: ".mask.u8",
  bounds: ".bounds.u32",
  bounds_index: ".bounds_index.u64",
};

let validator: ValidateFunction | undefined;

function manifestValidator(): ValidateFunction {
  if (!validator) {
    const schema = JSON.parse(readFileSync(join(schemasDir(), "manifest.schema.json"), "utf8")) as Record<string, unknown>;
    validator = ownSchemasAjv({ allErrors: false }).compile(schema);
  }
  return validator;
}

/** manifest.json of `dir`, checked as described at the top of this file; DataError (exit 1) naming the file and the JSON path otherwise. */
export function readManifest(dir: string): Manifest {
  const file = join(dir, MANIFEST_FILE);
  const value = parseManifest(file);
  const m = value as Partial<Manifest> | null;
  if (m === null || typeof m !== "object" || Array.isArray(m))
    throw new DataError("invalid_manifest", "/: the manifest is not a JSON object", { file });
  if (m.format !== FORMAT_NAME || m.version !== FORMAT_VERSION) {
    const found = `${printable(m.format)} version ${printable(m.version)}`;
    throw new DataError("unsupported_format", `expected format ${FORMAT_NAME} version ${FORMAT_VERSION}, found ${found}`, { file });
  }
  const validate = manifestValidator();
  if (!validate(value)) {
    const error = validate.errors![0];
    const found = valueAt(value, error.instancePath);
    // A name with a folder in it ("../../x", "sub/x") is refused as what it would do: read outside the dataset.
    if (error.keyword === "pattern" && error.instancePath.endsWith("/path") && typeof found === "string" && !found.includes("\0")) {
      throw new DataError(
        "manifest_path_outside",
        `${error.instancePath}: ${printable(found)} is not a file inside the dataset folder ${dir} (a plain file name)`,
        { file },
      );
    }
    throw new DataError("invalid_manifest", schemaMessage(error, value), { file });
  }
  const manifest = value as Manifest;
  checkMeaning(manifest, file);
  for (const { pointer, entry } of fileEntries(manifest)) datasetFile(dir, entry.path, `${pointer}/path`);
  return manifest;
}

/**
 * The path of a file a manifest names, refused (DataError manifest_path_outside) unless it stays
 * inside the dataset folder: a plain name, and — when it exists — its real path (symlinks
 * followed) under the folder's real path. Every reader opens dataset files through this.
 */
export function datasetFile(dir: string, name: string, pointer = "file"): string {
  const file = join(dir, MANIFEST_FILE);
  const path = resolve(dir, name);
  const folder = resolve(dir);
  if (typeof name !== "string" || name === "" || name.includes("\0") || !isWithin(path, folder) || path === folder) {
    throw new DataError("manifest_path_outside", `${pointer}: ${printable(name)} is not a file inside the dataset folder ${dir}`, { file });
  }
  let real: string;
  try {
    real = realpathSync(path);
  } catch {
    return path; // missing: the reader reports it as a missing file
  }
  const realFolder = realpathSync(folder);
  if (!isWithin(real, realFolder) || real === realFolder) {
    throw new DataError(
      "manifest_path_outside",
      `${pointer}: ${printable(name)} resolves to ${real}, outside the dataset folder ${dir} (a symlink?)`,
      { file },
    );
  }
  return path;
}

/** Every file entry of the manifest with its JSON pointer. */
export function fileEntries(m: Manifest): { pointer: string; entry: FileEntry }[] {
  const out = m.shards.flatMap((s, i) => SHARD_KINDS.map((kind) => ({ pointer: `/shards/${i}/files/${kind}`, entry: s.files[kind] })));
  if (m.documents_file) out.push({ pointer: "/documents_file", entry: m.documents_file });
  if (m.rejects_file) out.push({ pointer: "/rejects_file", entry: m.rejects_file });
  return out;
}

function isWithin(path: string, folder: string): boolean {
  return path === folder || path.startsWith(folder.endsWith(sep) ? folder : folder + sep);
}

function parseManifest(file: string): unknown {
  let text: string;
  try {
    text = readBounded(file);
  } catch (e) {
    if (e instanceof DataError) throw e;
    const why = "an incomplete or killed pack run leaves none — rerun datagen pack";
    throw new DataError("missing_manifest", `cannot read it: ${(e as Error).message}; ${why}`, { file });
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    throw new DataError("invalid_manifest", `not JSON (${(e as Error).message})`, { file });
  }
}

function readBounded(file: string): string {
  const fd = openSync(file, "r");
  try {
    const size = fstatSync(fd).size;
    if (size > MAX_MANIFEST_BYTES)
      throw new DataError("invalid_manifest", `${size} bytes, more than any manifest pack writes (${MAX_MANIFEST_BYTES})`, { file });
    const buf = Buffer.alloc(size);
    let done = 0;
    while (done < size) {
      const n = readSync(fd, buf, done, size - done, done);
      if (n === 0) break;
      done += n;
    }
    return buf.toString("utf8", 0, done);
  } finally {
    closeSync(fd);
  }
}

/** What the schema cannot say: the tokenizer's vocabulary, known modes, shard file names that agree, a bounded total. */
function checkMeaning(m: Manifest, file: string): void {
  const fail = (pointer: string, message: string) => {
    throw new DataError("invalid_manifest", `${pointer}: ${message}`, { file });
  };
  if (m.vocab_size !== TOKENIZER_VOCAB) {
    throw new DataError("vocab_mismatch", `/vocab_size: ${m.vocab_size} is not the size of ${m.tokenizer} (${TOKENIZER_VOCAB} ids)`, {
      file,
    });
  }
  if (m.pad_id >= m.vocab_size) fail("/pad_id", `${m.pad_id} is not below vocab_size ${m.vocab_size}`);
  if (!isMaskMode(m.mask)) fail("/mask", `unknown mask mode ${printable(m.mask)}`);
  if (m.from !== undefined && !(SHAPE_NAMES as readonly string[]).includes(m.from))
    fail("/from", `unknown input shape ${printable(m.from)}`);
  let total = 0;
  m.shards.forEach((shard, i) => {
    total += shard.samples;
    const prefix = shard.files.tokens.path.endsWith(SHARD_SUFFIX.tokens)
      ? shard.files.tokens.path.slice(0, -SHARD_SUFFIX.tokens.length)
      : undefined;
    for (const kind of SHARD_KINDS) {
      // The trainer and the torchtitan source open a shard by its prefix: the four names must agree.
      if (prefix === undefined || prefix === "" || shard.files[kind].path !== prefix + SHARD_SUFFIX[kind]) {
        fail(
          `/shards/${i}/files/${kind}/path`,
          `${printable(shard.files[kind].path)} is not the shard's ${kind} file ` +
            `(expected PREFIX${SHARD_SUFFIX[kind]}, one PREFIX for the four files)`,
        );
      }
    }
  });
  if (total > MAX_TOTAL_SAMPLES) fail("/shards", `${total} samples in all, more than ${MAX_TOTAL_SAMPLES}`);
}

/** One line: the JSON path and what is wrong there. */
function schemaMessage(error: ErrorObject, root: unknown): string {
  const at = error.instancePath || "/";
  const params = error.params as Record<string, unknown>;
  if (error.keyword === "required") return `${at}: missing required field "${String(params.missingProperty)}"`;
  if (error.keyword === "additionalProperties") return `${at}: unknown field "${String(params.additionalProperty)}"`;
  const found = valueAt(root, error.instancePath);
  if (error.keyword === "pattern" && typeof found === "string" && found.includes("\0"))
    return `${at}: ${printable(found)} holds a NUL byte`;
  if (error.keyword === "pattern") return `${at}: ${printable(found)} is not in the form the format allows`;
  return `${at}: ${printable(found)} — ${error.message ?? error.keyword}`;
}

function valueAt(root: unknown, pointer: string): unknown {
  let v: unknown = root;
  for (const part of pointer.split("/").slice(1)) {
    const key = part.replace(/~1/g, "/").replace(/~0/g, "~");
    v = v !== null && typeof v === "object" ? (v as Record<string, unknown>)[key] : undefined;
  }
  return v;
}

/** A value shown in a message: JSON, cut short (a path may be long or hold a NUL). */
function printable(v: unknown): string {
  const text = v === undefined ? "undefined" : (JSON.stringify(v) ?? String(v));
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}
