// `datagen pack FILE... --out DIR`: parse options, run the pack stage, print the summary.
import { type Command, InvalidArgumentError, Option } from "commander";
import {
  DEFAULT_PACK_WINDOW,
  DEFAULT_SEQ_LEN,
  DEFAULT_SHARD_SAMPLES,
  MAX_SEQ_LEN,
  RENDER_THREADS_FROM_BYTES,
} from "../../pack/defaults.js";
import { OVERLONG_POLICIES } from "../../pack/format.js";
import type { PackProgress, PackSummary } from "../../pack/index.js";
import type { Dialect, DocumentMode, MaskMode } from "../../render/names.js";
import type { FromShape } from "../../ingest/source.js";
import {
  allowTrailingCallOption,
  dialectOption,
  documentsOption,
  fromOption,
  maskOption,
  maxLineBytesOption,
  workersOption,
} from "../options.js";
import { elapsed, StderrProgress } from "../progress.js";
import { escapeControls, jsonLine } from "../../core/escape.js";
import { gracefulStopSignal, positiveInt } from "../run.js";

interface PackCliOptions {
  out: string;
  seqLen: number;
  dialect: Dialect;
  mask: MaskMode;
  documents: DocumentMode;
  workers?: number;
  packWindow: number;
  shardSamples: number;
  overlong: "drop" | "truncate" | "error";
  shuffleSeed?: number;
  strict: boolean;
  force: boolean;
  json: boolean;
  maxLineBytes: number;
  from: FromShape;
  allowTrailingCall: boolean;
}

export function register(program: Command): void {
  program
    .command("pack")
    .description("Render, tokenize (o200k_harmony), mask and pack conversations into fixed-length block-causal samples")
    .argument("<files...>", "input files (JSONL, JSON array, .gz, .zst, Parquet; - for stdin) of records in any shape --from reads")
    .requiredOption("--out <dir>", "output directory (refuses an existing dataset unless --force)")
    .option("--seq-len <n>", `tokens per sample (at most ${MAX_SEQ_LEN})`, positiveInt("--seq-len", MAX_SEQ_LEN), DEFAULT_SEQ_LEN)
    .addOption(dialectOption())
    .addOption(maskOption("which tokens are trained"))
    .addOption(documentsOption())
    .addOption(
      workersOption(
        `render/tokenize threads (0: this thread only; ` +
          `default: the core count for inputs of ${RENDER_THREADS_FROM_BYTES >> 20} MiB or more or stdin, else 0)`,
      ),
    )
    .option(
      "--pack-window <n>",
      "documents packed together (best-fit-decreasing) per window",
      positiveInt("--pack-window"),
      DEFAULT_PACK_WINDOW,
    )
    .option("--shard-samples <n>", "samples per shard", positiveInt("--shard-samples"), DEFAULT_SHARD_SAMPLES)
    .addOption(new Option("--overlong <policy>", "documents longer than --seq-len").choices([...OVERLONG_POLICIES]).default("drop"))
    .option("--shuffle-seed <n>", "shuffle the sample order with this seed (reproducible)", seedArg)
    .option("--strict", "stop with exit 1 at the first invalid record", false)
    .option("--force", "replace an existing dataset in --out (written beside it, swapped in when complete)", false)
    .option("--json", "print the summary as JSON", false)
    .showHelpAfterError("(run 'datagen pack --help' for usage)")
    .addOption(maxLineBytesOption())
    .addOption(fromOption())
    .addOption(allowTrailingCallOption())
    .addHelpText(
      "after",
      `
Writes DIR/shard-NNNNN.{tokens.u32,mask.u8,bounds.u32,bounds_index.u64}, documents.jsonl,
rejects.jsonl and, last, manifest.json (format: docs/FORMAT.md). Invalid records go to
rejects.jsonl with file, line and reason code. Same inputs and flags give byte-identical
output for any --workers.

Examples:
  datagen pack data/conversations.jsonl --out data/packed
  datagen pack a.jsonl b.jsonl --out packed --seq-len 32768 --mask last-turn --shuffle-seed 1
  datagen pack chats.jsonl --out packed --overlong truncate --strict --json`,
    )
    .action(async (files: string[], o: PackCliOptions) => {
      const progress = new StderrProgress();
      const started = Date.now();
      const { packDataset } = await import("../../pack/index.js"); // loads when the command runs
      const summary = await packDataset(files, {
        out: o.out,
        seqLen: o.seqLen,
        dialect: o.dialect,
        mask: o.mask,
        documents: o.documents,
        workers: o.workers,
        packWindow: o.packWindow,
        shardSamples: o.shardSamples,
        overlong: o.overlong,
        shuffleSeed: o.shuffleSeed ?? null,
        strict: o.strict,
        force: o.force,
        maxLineBytes: o.maxLineBytes,
        from: o.from,
        allowTrailingCall: o.allowTrailingCall,
        onProgress: (p) => progress.report(() => progressLine(p, started)),
        // SIGINT/SIGTERM: stop at the next batch, remove what was written, exit 130/143 (run.ts).
        signal: gracefulStopSignal(),
      });
      progress.done();
      process.stdout.write(o.json ? jsonLine(summary) : formatSummary(summary));
    });
}

function seedArg(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n >= 2 ** 32)
    throw new InvalidArgumentError(`--shuffle-seed must be an integer in 0..2^32-1, got "${value}"`);
  return n;
}

function progressLine(p: PackProgress, started: number): string {
  const read = p.bytesTotal > 0 ? `${((100 * p.bytesRead) / p.bytesTotal).toFixed(1)}% read` : `${(p.bytesRead / 1e6).toFixed(1)} MB read`;
  return `pack: ${read}, ${p.records} records, ${p.documents} documents in ${p.samples} samples, ${p.rejects} rejects, ${elapsed(started)}`;
}

/** What --documents cost, so a mode never drops reasoning silently. */
function documentsLine(s: PackSummary): string {
  const n = (x: number): string => x.toLocaleString("en-US");
  const d = s.documentsStats;
  const dropped = d.analysis_tokens_dropped > 0 ? ' (no document trains them; see docs/RENDERING.md, "Documents")' : "";
  const cost = `${n(d.repeated_prefix_tokens)} repeated prefix tokens, ${n(d.analysis_tokens_dropped)} analysis tokens dropped${dropped}`;
  return `documents (${s.documentsMode}): ${n(d.documents)} from ${n(d.records)} records, ${cost}`;
}

function formatSummary(s: PackSummary): string {
  const pct = (x: number): string => `${(100 * x).toFixed(3)} %`;
  const n = (x: number): string => x.toLocaleString("en-US");
  const out = escapeControls(s.out);
  return [
    `packed ${n(s.documents)} documents (${n(s.records)} records) into ${n(s.samples)} samples in ${s.shards} shard(s): ${out}`,
    `fill rate ${pct(s.fillRate)} (${pct(s.fillRateExcludingLeast)} without the least-filled sample)`,
    `tokens: ${n(s.tokens.real)} real, ${n(s.tokens.trained)} trained, ${n(s.tokens.padding)} padding`,
    `rejects: ${n(s.rejects)}${s.rejects > 0 ? ` (see ${out}/rejects.jsonl)` : ""}`,
    `overlong (${s.overlong.policy}): ${n(s.overlong.count)}`,
    documentsLine(s),
    `time: ${s.seconds.toFixed(1)} s`,
    "",
  ].join("\n");
}
