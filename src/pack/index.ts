// The pack stage: JSONL records → rendered, tokenized, masked documents → best-fit-decreasing
// packing into fixed-length samples → shards + documents.jsonl + manifest.json (written last).
//
//   read (raw lines) → worker threads (parse, adapt, validate, render) → results in input order
//   → overlong policy → packing window → BinPacker → [shuffle staging] → ShardWriter → manifest
import { createHash } from "node:crypto";
import { renameSync, statSync } from "node:fs";
import { join } from "node:path";
import { DataError, formatLocation, InterruptedError, NothingUsableError, UsageError } from "../core/errors.js";
import { openOutputDir, writeFileAtomic } from "../core/output.js";
import { N_VOCAB, PAD_ID } from "../tokenize/o200k_harmony.js";
import type { Dialect, DocumentMode, MaskMode } from "../render/index.js";
import { BinPacker, type Bin } from "./bfd.js";
import {
  FORMAT_NAME,
  FORMAT_VERSION,
  MANIFEST_FILE,
  PARTIAL_SUFFIX,
  REJECTS_FILE,
  TOKENIZER_NAME,
  assertLittleEndian,
  type InputEntry,
  type Manifest,
  type OverlongPolicy,
} from "./format.js";
import { inputLocation } from "./source-path.js";
import { FirstSeenIds } from "../core/first-seen-ids.js";
import { HashedFile } from "./hashed-file.js";
import { displayName, STDIN_ARG, type FromShape } from "../ingest/source.js";
import { lineBatches } from "../ingest/line-batches.js";
import { threadsForInputs } from "../ingest/threads.js";
import { LOCATOR_BLOCK_BYTES, LOCATOR_MODULUS } from "./locator.js";
import { PACKED_DATASET, removePartialFiles } from "./output-dir.js";
import { RenderPool } from "./pool.js";
import type { LineResult, RejectedLine, RenderedDocument, RenderedRecord } from "./process-record.js";
import { ShardWriter, type PackedSample, type SampleSink } from "./shard-writer.js";
import { ShuffleStage } from "./shuffle.js";

export * from "./format.js";
import type { DocumentsStats } from "./format.js";
export { BinPacker, CapacityIndex } from "./bfd.js";

export { DEFAULT_PACK_WINDOW, DEFAULT_SEQ_LEN, DEFAULT_SHARD_SAMPLES } from "./defaults.js";
import { DEFAULT_PACK_WINDOW, DEFAULT_SEQ_LEN, DEFAULT_SHARD_SAMPLES, MAX_SEQ_LEN, RENDER_THREADS_FROM_BYTES } from "./defaults.js";
/** Tokens held in the packing window (on top of the document-count window): bounds memory. */
export const DEFAULT_WINDOW_TOKENS = 1 << 25;
/** Tokens held in open (not yet full) samples carried across windows. */
export const DEFAULT_OPEN_TOKENS = 1 << 24;

export interface PackOptions {
  out: string;
  seqLen?: number;
  dialect?: Dialect;
  mask?: MaskMode;
  /** --documents: how records become documents (default auto; src/render/documents.ts). */
  documents?: DocumentMode;
  /** Render threads; 0 renders on this thread (default: by the inputs' size, ingest/threads.ts). */
  workers?: number;
  packWindow?: number;
  shardSamples?: number;
  overlong?: OverlongPolicy;
  shuffleSeed?: number | null;
  strict?: boolean;
  force?: boolean;
  windowTokens?: number;
  maxOpenSamples?: number;
  maxLineBytes?: number;
  /** --from: the input records' shape (default auto: detected per record). */
  from?: FromShape;
  /** --allow-trailing-call: records may end with an assistant tool call (recorded in the manifest). */
  allowTrailingCall?: boolean;
  onProgress?: (progress: PackProgress) => void;
  /** Aborting stops the run at the next batch: nothing is published, an existing dataset is kept. */
  signal?: AbortSignal;
}

export interface PackProgress {
  bytesRead: number;
  bytesTotal: number;
  records: number;
  documents: number;
  samples: number;
  rejects: number;
}

export interface PackSummary {
  out: string;
  samples: number;
  documents: number;
  records: number;
  tokens: { real: number; trained: number; padding: number };
  fillRate: number;
  /** Fill rate without the least-filled sample (the packing's unavoidable remainder). */
  fillRateExcludingLeast: number;
  rejects: number;
  overlong: { policy: OverlongPolicy; count: number };
  /** --documents and what it cost (the manifest's documents_mode and documents_stats). */
  documentsMode: DocumentMode;
  documentsStats: DocumentsStats;
  shards: number;
  seconds: number;
}

interface WindowDocument {
  length: number;
  id: string;
  input: string;
  line: number;
  tokens: Uint32Array;
  mask: Uint8Array;
  trained: number;
}

interface Settings {
  out: string;
  seqLen: number;
  dialect: Dialect;
  mask: MaskMode;
  documents: DocumentMode;
  workers: number;
  packWindow: number;
  shardSamples: number;
  overlong: OverlongPolicy;
  shuffleSeed: number | null;
  strict: boolean;
  windowTokens: number;
  maxOpenSamples: number;
  maxLineBytes: number | undefined;
  from: FromShape;
  allowTrailingCall: boolean;
  /** The dataset's final directory (`out` may be a folder beside it until the run completes). */
  datasetDir: string;
}

export async function packDataset(inputs: string[], options: PackOptions): Promise<PackSummary> {
  const started = Date.now();
  const settings = resolveSettings(inputs, options);
  assertLittleEndian();
  // Checked before anything is touched; with --force the new dataset is written beside the old one
  // and swapped in only once complete (src/core/output.ts).
  const output = openOutputDir(settings.out, PACKED_DATASET, {
    force: options.force ?? false,
    inputs: inputs.filter((p) => p !== STDIN_ARG),
  });
  const run = new PackRun(inputs, { ...settings, out: output.dir }, options.onProgress, options.signal);
  try {
    const summary = await run.execute(started);
    output.commit();
    return { ...summary, out: settings.out };
  } catch (err) {
    await run.abort();
    removePartialFiles(output.dir);
    output.abort();
    throw err;
  }
}

function resolveSettings(inputs: string[], o: PackOptions): Settings {
  if (inputs.length === 0) throw new UsageError("pack needs at least one input file");
  for (const path of inputs) {
    if (path === STDIN_ARG) continue;
    try {
      if (!statSync(path).isFile()) throw new Error();
    } catch {
      throw new UsageError(`input ${path} is not a readable file`);
    }
  }
  if (inputs.filter((p) => p === STDIN_ARG).length > 1) throw new UsageError(`"${STDIN_ARG}" (stdin) can be given only once`);
  const seqLen = o.seqLen ?? DEFAULT_SEQ_LEN;
  if (!Number.isInteger(seqLen) || seqLen < 2 || seqLen > MAX_SEQ_LEN) {
    throw new UsageError(`--seq-len must be an integer in 2..${MAX_SEQ_LEN} (the format's maximum, 2^20), got ${seqLen}`);
  }
  return {
    out: o.out,
    seqLen,
    dialect: o.dialect ?? "harmony",
    mask: o.mask ?? "assistant",
    documents: o.documents ?? "auto",
    workers: o.workers ?? threadsForInputs(inputs, RENDER_THREADS_FROM_BYTES),
    packWindow: o.packWindow ?? DEFAULT_PACK_WINDOW,
    shardSamples: o.shardSamples ?? DEFAULT_SHARD_SAMPLES,
    overlong: o.overlong ?? "drop",
    shuffleSeed: o.shuffleSeed ?? null,
    strict: o.strict ?? false,
    windowTokens: o.windowTokens ?? DEFAULT_WINDOW_TOKENS,
    maxOpenSamples: o.maxOpenSamples ?? Math.max(16, Math.floor(DEFAULT_OPEN_TOKENS / seqLen)),
    maxLineBytes: o.maxLineBytes,
    from: o.from ?? "auto",
    allowTrailingCall: o.allowTrailingCall ?? false,
    datasetDir: o.out,
  };
}

class PackRun {
  private readonly pool: RenderPool;
  private readonly writer: ShardWriter;
  private readonly stage: ShuffleStage | undefined;
  private readonly rejectsFile: HashedFile;
  private readonly packer: BinPacker<WindowDocument>;
  private readonly sampleTokens: Uint32Array;
  private readonly sampleMask: Uint8Array;
  private window: WindowDocument[] = [];
  private windowTokens = 0;
  private readonly inputEntries: InputEntry[] = [];
  private readonly seenIds = new FirstSeenIds();
  private readonly progress: PackProgress;
  private lastProgressAt = 0;
  private firstReject: string | undefined;
  private totals = { real: 0, trained: 0, documents: 0, overlong: 0, rejects: 0, records: 0, leastUsed: Infinity };
  private readonly documentsStats: DocumentsStats = { records: 0, documents: 0, analysis_tokens_dropped: 0, repeated_prefix_tokens: 0 };

  constructor(
    private readonly inputs: string[],
    private readonly s: Settings,
    private readonly onProgress?: (p: PackProgress) => void,
    private readonly signal?: AbortSignal,
  ) {
    this.pool = new RenderPool(s.workers, {
      dialect: s.dialect,
      mask: s.mask,
      documents: s.documents,
      from: s.from,
      allowTrailingCall: s.allowTrailingCall,
    });
    this.writer = new ShardWriter(s.out, s.shardSamples);
    this.stage = s.shuffleSeed === null ? undefined : new ShuffleStage(s.out, s.seqLen);
    this.rejectsFile = new HashedFile(s.out, REJECTS_FILE);
    this.packer = new BinPacker({ capacity: s.seqLen, maxOpenBins: s.maxOpenSamples, onClose: (bin) => this.emit(bin) });
    this.sampleTokens = new Uint32Array(s.seqLen);
    this.sampleMask = new Uint8Array(s.seqLen);
    // Unknown (0) when stdin is among the inputs: progress then shows bytes read, not a share.
    const bytesTotal = inputs.includes(STDIN_ARG) ? 0 : inputs.reduce((sum, p) => sum + statSync(p).size, 0);
    this.progress = { bytesRead: 0, bytesTotal, records: 0, documents: 0, samples: 0, rejects: 0 };
  }

  async execute(started: number): Promise<PackSummary> {
    await this.renderAll();
    this.flushWindow();
    this.packer.finish();
    await this.pool.close();
    if (this.stage) this.stage.replay(this.s.shuffleSeed!, this.writer);
    const { shards, documents } = this.writer.finish();
    const rejects = this.rejectsFile.close();

    const samples = this.writer.samples;
    const capacity = samples * this.s.seqLen;
    const t = this.totals;
    this.requireSomethingPacked();
    const manifest: Manifest = {
      format: FORMAT_NAME,
      version: FORMAT_VERSION,
      tokenizer: TOKENIZER_NAME,
      vocab_size: N_VOCAB,
      seq_len: this.s.seqLen,
      dialect: this.s.dialect,
      mask: this.s.mask,
      pad_id: PAD_ID,
      samples,
      documents: t.documents,
      tokens: { real: t.real, trained: t.trained, padding: capacity - t.real },
      fill_rate: capacity === 0 ? 0 : t.real / capacity,
      overlong: { policy: this.s.overlong, count: t.overlong },
      rejects: t.rejects,
      shuffle_seed: this.s.shuffleSeed,
      pack_window: this.s.packWindow,
      inputs: this.inputEntries,
      shards,
      documents_file: documents,
      rejects_file: rejects,
      locator: { algorithm: "weighted-sum-mod-p", block_bytes: LOCATOR_BLOCK_BYTES, modulus: LOCATOR_MODULUS },
    };
    // Only when set, so the manifests of every other run stay as they were.
    if (this.s.allowTrailingCall) manifest.allow_trailing_call = true;
    if (this.s.from !== "auto") manifest.from = this.s.from;
    manifest.documents_mode = this.s.documents;
    manifest.documents_stats = { ...this.documentsStats, documents: t.documents };
    this.writer.publish();
    renameSync(join(this.s.out, REJECTS_FILE + PARTIAL_SUFFIX), join(this.s.out, REJECTS_FILE));
    const manifestPath = join(this.s.out, MANIFEST_FILE);
    writeFileAtomic(manifestPath, JSON.stringify(manifest, null, 2) + "\n");

    const leastExcluded = samples > 1 ? (t.real - t.leastUsed) / ((samples - 1) * this.s.seqLen) : manifest.fill_rate;
    return {
      out: this.s.out,
      samples,
      documents: t.documents,
      records: t.records,
      tokens: manifest.tokens,
      fillRate: manifest.fill_rate,
      fillRateExcludingLeast: leastExcluded,
      rejects: t.rejects,
      overlong: manifest.overlong,
      documentsMode: this.s.documents,
      documentsStats: manifest.documents_stats,
      shards: shards.length,
      seconds: (Date.now() - started) / 1000,
    };
  }

  async abort(): Promise<void> {
    await this.pool.close().catch(() => undefined);
    this.stage?.remove();
  }

  /** Reads every input in batches; workers render them; results are consumed in input order. */
  private async renderAll(): Promise<void> {
    const inFlight: { file: string; results: Promise<LineResult[]> }[] = [];
    const maxInFlight = 2 * Math.max(1, this.s.workers) + 1;
    for (const path of this.inputs) {
      const file = displayName(path); // "<stdin>" for "-"
      // location: relative to the dataset, so verify --source and stats find it from any directory.
      const location = path === STDIN_ARG ? {} : { location: inputLocation(this.s.datasetDir, path) };
      const entry: InputEntry = { path: file, ...location, bytes: 0, sha256: "", records: 0 };
      this.inputEntries.push(entry);
      // The input is hashed and measured in the same pass that splits it: each file is read once.
      const hash = createHash("sha256");
      const onChunk = (chunk: Buffer): void => {
        hash.update(chunk);
        entry.bytes += chunk.length;
        this.progress.bytesRead += chunk.length;
      };
      for await (const batch of lineBatches(path, this.s.maxLineBytes, onChunk)) {
        if (this.signal?.aborted) throw new InterruptedError("pack interrupted: no dataset was written (an existing one in --out is kept)");
        entry.records += batch.lines.length;
        const results = this.pool.run(batch);
        results.catch(() => undefined); // awaited below, in order
        inFlight.push({ file, results });
        while (inFlight.length >= maxInFlight) await this.consumeNext(inFlight);
      }
      entry.sha256 = hash.digest("hex");
    }
    while (inFlight.length > 0) await this.consumeNext(inFlight);
  }

  private async consumeNext(inFlight: { file: string; results: Promise<LineResult[]> }[]): Promise<void> {
    const next = inFlight.shift()!;
    for (const result of await next.results) {
      this.totals.records++;
      if (result.kind === "reject") this.reject(next.file, result);
      else this.acceptUnlessDuplicate(next.file, result);
    }
    this.reportProgress();
  }

  /** Before anything is published: an empty dataset must not replace a good one or look like success. */
  private requireSomethingPacked(): void {
    const t = this.totals;
    const inputs = this.inputs.join(", ");
    if (t.documents === 0) {
      const why = this.firstReject
        ? `; ${t.rejects} rejected, the first: ${this.firstReject}`
        : t.overlong > 0
          ? `; ${t.overlong} longer than --seq-len ${this.s.seqLen} (--overlong ${this.s.overlong})`
          : "";
      throw new NothingUsableError(
        `nothing packed: ${t.records} line${t.records === 1 ? "" : "s"} read from ${inputs}, no usable conversation${why}`,
      );
    }
    if (t.trained === 0) {
      throw new NothingUsableError(
        `nothing to train on: ${t.documents} document${t.documents === 1 ? "" : "s"} packed from ${inputs}, ` +
          `but --mask ${this.s.mask} selects no token in any of them`,
      );
    }
  }

  private reject(file: string, r: RejectedLine): void {
    if (this.s.strict) throw new DataError(r.code, `${r.message} (--strict: no rejects allowed)`, { file, line: r.line, id: r.id });
    this.firstReject ??= `${formatLocation({ file, line: r.line, id: r.id })} ${r.code} ${r.message}`;
    this.totals.rejects++;
    const line = { file, line: r.line, id: r.id ?? null, code: r.code, message: r.message, issues: r.issues ?? [] };
    this.rejectsFile.writeText(JSON.stringify(line) + "\n");
  }

  /** Only accepted records claim an id: a record rejected for another reason blocks nothing. */
  private acceptUnlessDuplicate(file: string, r: RenderedRecord): void {
    const firstSeen = r.ownId ? this.seenIds.claim(r.id, file, r.line) : undefined;
    if (firstSeen === undefined) {
      this.documentsStats.records++;
      this.documentsStats.analysis_tokens_dropped += r.analysisTokensDropped;
      for (const d of r.documents) this.accept(file, r.line, d);
      return;
    }
    const message = `id "${r.id}" was already used at ${firstSeen}`;
    this.reject(file, {
      kind: "reject",
      line: r.line,
      id: r.id,
      code: "duplicate_record_id",
      message,
      issues: [{ code: "duplicate_record_id", message, path: "/id" }],
    });
  }

  /** One document of a record; each one (a turn's, too) meets the overlong policy on its own. */
  private accept(file: string, line: number, r: RenderedDocument): void {
    let { tokens, mask, trained } = r;
    if (tokens.length > this.s.seqLen) {
      this.totals.overlong++;
      if (this.s.overlong === "error") {
        throw new DataError(
          "overlong",
          `document has ${tokens.length} tokens, more than --seq-len ${this.s.seqLen}; use --overlong drop|truncate`,
          { file, line, id: r.id },
        );
      }
      if (this.s.overlong === "drop") return;
      tokens = tokens.slice(0, this.s.seqLen);
      mask = mask.slice(0, this.s.seqLen);
      trained = mask.reduce((sum, m) => sum + m, 0);
    }
    if (tokens.length === 0) return;
    this.documentsStats.repeated_prefix_tokens += Math.min(r.repeatedPrefix, tokens.length);
    this.window.push({ length: tokens.length, id: r.id, input: file, line, tokens, mask, trained });
    this.windowTokens += tokens.length;
    if (this.window.length >= this.s.packWindow || this.windowTokens >= this.s.windowTokens) this.flushWindow();
  }

  private flushWindow(): void {
    if (this.window.length === 0) return;
    const docs = this.window;
    this.window = [];
    this.windowTokens = 0;
    this.packer.addWindow(docs);
  }

  /** A closed bin becomes a sample: documents back to back, then padding. */
  private emit(bin: Bin<WindowDocument>): void {
    const tokens = this.sampleTokens.fill(PAD_ID);
    const mask = this.sampleMask.fill(0);
    const sample: PackedSample = { tokens, mask, documents: [] };
    let offset = 0;
    for (const doc of bin.items) {
      tokens.set(doc.tokens, offset);
      mask.set(doc.mask, offset);
      // The first token of a document is never a target (nothing before it in its block to predict it from).
      if (mask[offset] === 1) {
        mask[offset] = 0;
        doc.trained--;
      }
      sample.documents.push({ id: doc.id, input: doc.input, line: doc.line, offset, length: doc.length, trained: doc.trained });
      this.totals.trained += doc.trained;
      offset += doc.length;
    }
    this.totals.real += offset;
    this.totals.documents += bin.items.length;
    this.totals.leastUsed = Math.min(this.totals.leastUsed, offset);
    (this.stage ?? (this.writer as SampleSink)).writeSample(sample);
    this.progress.samples++;
    this.progress.documents = this.totals.documents;
  }

  private reportProgress(): void {
    if (!this.onProgress) return;
    const now = Date.now();
    if (now - this.lastProgressAt < 500) return;
    this.lastProgressAt = now;
    this.progress.records = this.totals.records;
    this.progress.rejects = this.totals.rejects;
    this.onProgress({ ...this.progress });
  }
}
