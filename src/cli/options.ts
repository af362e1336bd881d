// Option handling shared by the commands: those that read conversation JSONL files, and those that
// talk to servers (--server-kind).
import { statSync } from "node:fs";
import { InvalidArgumentError, Option } from "commander";
import { DIALECT_NAMES, DOCUMENT_MODE_NAMES, MASK_MODE_NAMES } from "../render/names.js";
import { DEFAULT_MAX_LINE_BYTES } from "../core/lines.js";
import { UsageError } from "../core/errors.js";
import { escapeControls } from "../core/escape.js";
import { FROM_SHAPES, STDIN_ARG } from "../ingest/source.js";
import { SERVER_KIND_CHOICES } from "../generate/model/servers/index.js";
import { positiveInt } from "./run.js";

/** --max-line-bytes <n> (default 16 MiB); longer lines are reported as line_too_long and skipped. */
export function maxLineBytesOption(): Option {
  return new Option("--max-line-bytes <n>", "longest accepted JSONL line in bytes; longer lines are reported as line_too_long")
    .argParser(positiveInt("--max-line-bytes"))
    .default(DEFAULT_MAX_LINE_BYTES);
}

/** Most worker threads --workers accepts. */
const MAX_WORKERS = 256;

/** --workers N: worker threads, 0 meaning this thread only (validate, pack, verify --source). */
export function workersOption(description: string): Option {
  return new Option("--workers <n>", description).argParser((value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 0 || n > MAX_WORKERS)
      throw new InvalidArgumentError(`--workers must be an integer in 0..${MAX_WORKERS}, got "${escapeControls(value)}"`);
    return n;
  });
}

/** --allow-trailing-call: a conversation may end with an assistant tool call (xLAM / APIGen records). */
export function allowTrailingCallOption(): Option {
  return new Option(
    "--allow-trailing-call",
    "accept records that end with an assistant tool call and no result (xLAM / APIGen); rendered ending with <|call|> and trained on",
  ).default(false);
}

/** --from <shape>: how input records are read (src/ingest/shapes); auto detects each record's shape. */
export function fromOption(): Option {
  return new Option("--from <shape>", "shape of the input records: auto detects it per record (see docs/INPUTS.md)")
    .choices(FROM_SHAPES)
    .default("auto");
}

/** --server-kind <kind>: auto or one of the server kinds (src/generate/model/servers); the commands word their own help. */
export function serverKindOption(description: string): Option {
  return new Option("--server-kind <kind>", description).choices(SERVER_KIND_CHOICES);
}

/** A usage error (exit 2) unless `file` is an existing regular file or "-" (stdin). */
export function requireReadableFile(file: string): void {
  if (file === STDIN_ARG) return;
  let stat;
  try {
    stat = statSync(file);
  } catch {
    throw new UsageError(`no such file: ${file}`);
  }
  if (!stat.isFile()) throw new UsageError(`not a regular file: ${file} (give JSONL files, not folders)`);
}

/** requireReadableFile for each input, and stdin ("-") at most once: it can be read only once. */
export function requireReadableInputs(files: readonly string[]): void {
  for (const file of files) requireReadableFile(file);
  if (files.filter((f) => f === STDIN_ARG).length > 1) throw new UsageError(`"${STDIN_ARG}" (stdin) can be given only once`);
}

/** --dialect <name>: one of the render dialects (default harmony). */
export function dialectOption(
  description = "rendering dialect: harmony (openai/harmony training rendering) or hf (Hugging Face gpt-oss chat template)",
): Option {
  return new Option("--dialect <name>", description).choices(DIALECT_NAMES).default("harmony");
}

/** --mask <mode>: one of the loss mask modes (default assistant). */
export function maskOption(description = "loss mask mode"): Option {
  return new Option("--mask <mode>", description).choices(MASK_MODE_NAMES).default("assistant");
}

const DOCUMENTS_HELP =
  "how a record becomes documents: auto (whole record unless analysis comes before its last turn, else one per turn), " +
  "turns (one per assistant turn, earlier analysis dropped), conversation (the whole record, harmony's auto_drop_analysis)";

/** --documents <mode>: how a record becomes training documents (docs/RENDERING.md, "Documents"; default auto). */
export function documentsOption(description = DOCUMENTS_HELP): Option {
  return new Option("--documents <mode>", description).choices(DOCUMENT_MODE_NAMES).default("auto");
}
