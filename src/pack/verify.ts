// `dataset verify`: recompute every checksum of a packed dataset and check its invariants;
// with `source`, re-render every document from its input line and compare tokens and mask.
import { createHash } from "node:crypto";
import { createReadStream, existsSync, statSync } from "node:fs";
import { createInterface } from "node:readline";
import { N_VOCAB } from "../tokenize/o200k_harmony.js";
import type { Dialect, MaskMode } from "../render/index.js";
import { DOCUMENTS_FILE, manifestDocumentsMode, type DocumentEntry, type FileEntry, type Manifest } from "./format.js";
import { STDIN_NAME } from "../ingest/source.js";
import { lineBatches } from "../ingest/line-batches.js";
import { threadsForBytes } from "../ingest/threads.js";
import { RENDER_THREADS_FROM_BYTES } from "./defaults.js";
import { LocatorSums, locateDifferences } from "./locator.js";
import { RenderPool } from "./pool.js";
import type { LineResult, RenderedDocument } from "./process-record.js";
import { datasetFile, fileEntries } from "./manifest.js";
import { ShardReader, readManifest } from "./reader.js";
import { inputCandidates, locateInput } from "./source-path.js";

export interface VerifyProblem {
  /** verify's own check codes (bad_bounds, checksum_mismatch, …), not record reason codes (src/core/reasons.ts). */
  code: string;
  message: string;
  file?: string;
  /** Byte offset in `file`. */
  offset?: number;
}

export interface VerifyReport {
  ok: boolean;
  dir: string;
  samples: number;
  documents: number;
  filesChecked: number;
  bytesChecked: number;
  sourceDocumentsChecked: number;
  problems: VerifyProblem[];
  /** True when more problems existed than were kept. */
  truncated: boolean;
}

export interface VerifyOptions {
  source?: boolean;
  workers?: number;
  maxProblems?: number;
}

class Problems {
  readonly list: VerifyProblem[] = [];
  truncated = false;
  constructor(private readonly max: number) {}
  add(p: VerifyProblem): void {
    if (this.list.length < this.max) this.list.push(p);
    else this.truncated = true;
  }
  get full(): boolean {
    return this.list.length >= this.max;
  }
}

interface DocLocation {
  shard: number;
  sample: number;
  offset: number;
  length: number;
}

/** The packed documents of one input line, by document id (a record cut into turns has several). */
type LineDocuments = Map<string, DocLocation>;

export async function verifyDataset(dir: string, options: VerifyOptions = {}): Promise<VerifyReport> {
  const manifest = readManifest(dir);
  const problems = new Problems(options.maxProblems ?? 50);
  const report: VerifyReport = {
    ok: false,
    dir,
    samples: manifest.samples,
    documents: manifest.documents,
    filesChecked: 0,
    bytesChecked: 0,
    sourceDocumentsChecked: 0,
    problems: problems.list,
    truncated: false,
  };

  for (const key of ["documents_file", "rejects_file"] as const) {
    if (!manifest[key])
      problems.add({ code: "invalid_manifest", file: "manifest.json", message: `/${key}: missing; a dataset pack wrote lists it` });
  }
  for (const { entry } of fileEntries(manifest)) {
    await checkFile(dir, entry, problems);
    report.filesChecked++;
    report.bytesChecked += entry.bytes;
  }
  const sources = options.source ? new Map<string, Map<number, LineDocuments>>() : undefined;
  await checkInvariants(dir, manifest, problems, sources);
  if (sources && !problems.full) {
    const packed = [...sources.values()].reduce((n, lines) => n + lines.size, 0);
    const workers = options.workers ?? threadsForBytes(sourceBytes(manifest), RENDER_THREADS_FROM_BYTES);
    report.sourceDocumentsChecked = await checkSources(dir, manifest, sources, problems, workers);
    // Never "ok" having compared fewer documents than the dataset holds (e.g. documents.jsonl names inputs the manifest lacks).
    if (report.sourceDocumentsChecked < manifest.documents && !problems.full) {
      const unlisted = [...sources.keys()].filter((input) => !manifest.inputs?.some((i) => i.path === input));
      const why =
        unlisted.length > 0 ? `; documents.jsonl names inputs the manifest does not list: ${unlisted.slice(0, 3).join(", ")}` : "";
      problems.add({
        code: "source_not_checked",
        file: DOCUMENTS_FILE,
        message:
          `--source compared ${report.sourceDocumentsChecked} of ${manifest.documents} documents (${packed} indexed) ` +
          `with their source lines${why}`,
      });
    }
  }
  report.truncated = problems.truncated;
  report.ok = problems.list.length === 0;
  return report;
}

/** Size, sha256 and — on a mismatch — the locator to name the changed byte. */
async function checkFile(dir: string, entry: FileEntry, problems: Problems): Promise<void> {
  const path = datasetFile(dir, entry.path);
  if (!existsSync(path)) {
    problems.add({ code: "missing_file", file: entry.path, message: "file listed in the manifest is missing" });
    return;
  }
  const size = statSync(path).size;
  if (size !== entry.bytes) {
    problems.add({
      code: "size_mismatch",
      file: entry.path,
      offset: Math.min(size, entry.bytes),
      message: `file has ${size} bytes, manifest says ${entry.bytes}`,
    });
  }
  const hash = createHash("sha256");
  const locator = new LocatorSums();
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 }) as AsyncIterable<Buffer>) {
    hash.update(chunk);
    locator.update(chunk);
  }
  if (hash.digest("hex") === entry.sha256) return;
  const diffs = locateDifferences(entry.locator, locator.digest(), Math.max(size, entry.bytes));
  if (diffs.length === 0) {
    problems.add({ code: "checksum_mismatch", file: entry.path, message: "sha256 differs from the manifest" });
  }
  for (const d of diffs) {
    const where = d.offset !== undefined ? `byte ${d.offset}` : `bytes ${d.blockStart}..${d.blockEnd - 1}`;
    problems.add({
      code: "checksum_mismatch",
      file: entry.path,
      offset: d.offset ?? d.blockStart,
      message: `sha256 differs from the manifest; changed: ${where}`,
    });
  }
}

/** Bounds, ids, mask and the document index, sample by sample; totals against the manifest. */
async function checkInvariants(
  dir: string,
  m: Manifest,
  problems: Problems,
  sources?: Map<string, Map<number, LineDocuments>>,
): Promise<void> {
  const docs = documentLines(datasetFile(dir, m.documents_file?.path ?? DOCUMENTS_FILE));
  let docLine = 0;
  let real = 0;
  let trained = 0;
  let samples = 0;
  for (let s = 0; s < m.shards.length && !problems.full; s++) {
    const shard = m.shards[s];
    const reader = new ShardReader(dir, shard, m.seq_len);
    const f = shard.files;
    try {
      if (!checkBoundsIndex(reader, f.bounds_index.path, problems)) continue;
      for (let k = 0; k < shard.samples && !problems.full; k++, samples++) {
        const { tokens, mask, bounds } = reader.sample(k);
        const sampleBase = k * m.seq_len;
        const boundsBase = Number(reader.boundsIndex[k]);
        if (!checkBounds(bounds, m.seq_len, f.bounds.path, boundsBase, problems)) continue;
        const end = bounds[bounds.length - 1];
        checkTokensAndMask(tokens, mask, bounds, end, { tokens: f.tokens.path, mask: f.mask.path }, sampleBase, problems);
        real += end;
        for (let j = 0; j + 1 < bounds.length; j++) {
          const next = await docs.next();
          docLine++;
          const where = `${DOCUMENTS_FILE} line ${docLine}`;
          if (next.done) {
            problems.add({
              code: "document_index_short",
              file: DOCUMENTS_FILE,
              message: `${where}: missing; shard ${s} sample ${k} holds more documents`,
            });
            return;
          }
          const d = next.value;
          let docTrained = 0;
          for (let i = bounds[j]; i < bounds[j + 1]; i++) docTrained += mask[i];
          trained += docTrained;
          const expected = { shard: s, sample: k, offset: bounds[j], length: bounds[j + 1] - bounds[j], trained: docTrained };
          const wrong = (Object.keys(expected) as (keyof typeof expected)[]).filter((key) => d[key] !== expected[key]);
          if (wrong.length > 0) {
            problems.add({
              code: "document_index_mismatch",
              file: DOCUMENTS_FILE,
              message: `${where}: ${wrong.map((key) => `${key} ${d[key]} ≠ ${expected[key]}`).join(", ")}`,
            });
          }
          if (sources) addSource(sources, d, expected, problems);
        }
      }
    } finally {
      reader.close();
    }
  }
  if (problems.full) return;
  if (!(await docs.next()).done)
    problems.add({
      code: "document_index_long",
      file: DOCUMENTS_FILE,
      message: `${DOCUMENTS_FILE} has more lines than the shards have documents`,
    });
  const totals: [string, number, number][] = [
    ["samples", samples, m.samples],
    ["documents", docLine, m.documents],
    ["tokens.real", real, m.tokens.real],
    ["tokens.trained", trained, m.tokens.trained],
    ["tokens.padding", samples * m.seq_len - real, m.tokens.padding],
  ];
  for (const [name, actual, claimed] of totals) {
    if (actual !== claimed)
      problems.add({
        code: "manifest_count_mismatch",
        file: "manifest.json",
        message: `${name}: shards hold ${actual}, manifest says ${claimed}`,
      });
  }
}

function checkBoundsIndex(reader: ShardReader, file: string, problems: Problems): boolean {
  const index = reader.boundsIndex;
  const n = reader.samples;
  if (index.length !== n + 1 || index[0] !== 0n) {
    problems.add({ code: "bad_bounds_index", file, offset: 0, message: `expected ${n + 1} offsets starting at 0, found ${index.length}` });
    return false;
  }
  // The file's real size, not the manifest's claim: an offset past it would allocate and read nothing.
  const boundsElements = BigInt(Math.min(Math.floor(reader.shard.files.bounds.bytes / 4), reader.boundsElements));
  for (let k = 0; k < n; k++) {
    if (index[k + 1] < index[k] + 2n || index[k + 1] > boundsElements) {
      problems.add({
        code: "bad_bounds_index",
        file,
        offset: (k + 1) * 8,
        message: `sample ${k}: offsets ${index[k]}..${index[k + 1]} do not delimit at least [0, end] within the bounds file`,
      });
      return false;
    }
  }
  if (index[n] !== boundsElements) {
    problems.add({ code: "bad_bounds_index", file, offset: n * 8, message: `last offset ${index[n]} ≠ bounds length ${boundsElements}` });
    return false;
  }
  return true;
}

function checkBounds(bounds: Uint32Array, seqLen: number, file: string, base: number, problems: Problems): boolean {
  if (bounds[0] !== 0) {
    problems.add({ code: "bad_bounds", file, offset: base * 4, message: `first document starts at ${bounds[0]}, not 0` });
    return false;
  }
  for (let j = 1; j < bounds.length; j++) {
    if (bounds[j] <= bounds[j - 1] || bounds[j] > seqLen) {
      problems.add({
        code: "bad_bounds",
        file,
        offset: (base + j) * 4,
        message: `bound ${bounds[j]} after ${bounds[j - 1]} is not increasing within seq_len ${seqLen}`,
      });
      return false;
    }
  }
  return true;
}

function checkTokensAndMask(
  tokens: Uint32Array,
  mask: Uint8Array,
  bounds: Uint32Array,
  end: number,
  files: { tokens: string; mask: string },
  base: number,
  problems: Problems,
): void {
  for (let i = 0; i < tokens.length; i++) {
    const id = tokens[i];
    if (id >= N_VOCAB)
      problems.add({
        code: "token_out_of_range",
        file: files.tokens,
        offset: (base + i) * 4,
        message: `token id ${id} ≥ vocab size ${N_VOCAB}`,
      });
    else if (i >= end && id !== 199999)
      problems.add({
        code: "bad_padding",
        file: files.tokens,
        offset: (base + i) * 4,
        message: `padding position ${i} holds ${id}, not 199999`,
      });
    const m = mask[i];
    if (m > 1) problems.add({ code: "bad_mask_value", file: files.mask, offset: base + i, message: `mask value ${m} is not 0 or 1` });
    else if (m === 1 && i >= end)
      problems.add({ code: "mask_on_padding", file: files.mask, offset: base + i, message: `mask is 1 on padding position ${i}` });
    if (problems.full) return;
  }
  for (let j = 0; j + 1 < bounds.length; j++) {
    if (mask[bounds[j]] !== 0)
      problems.add({
        code: "mask_on_document_start",
        file: files.mask,
        offset: base + bounds[j],
        message: `mask is 1 on the first token of the document at ${bounds[j]}`,
      });
  }
}

async function* documentLines(path: string): AsyncGenerator<Partial<DocumentEntry>> {
  if (!existsSync(path)) return;
  const lines = createInterface({ input: createReadStream(path), crlfDelay: Infinity });
  for await (const line of lines) {
    try {
      yield JSON.parse(line) as DocumentEntry;
    } catch {
      yield {};
    }
  }
}

function addSource(sources: Map<string, Map<number, LineDocuments>>, d: Partial<DocumentEntry>, at: DocLocation, problems: Problems): void {
  if (typeof d.input !== "string" || typeof d.line !== "number") {
    problems.add({ code: "document_index_mismatch", file: DOCUMENTS_FILE, message: `document ${d.id ?? "?"} has no input/line` });
    return;
  }
  let byLine = sources.get(d.input);
  if (!byLine) sources.set(d.input, (byLine = new Map()));
  let docs = byLine.get(d.line);
  if (!docs) byLine.set(d.line, (docs = new Map()));
  docs.set(String(d.id), at);
}

/** The bytes of the inputs --source reads again, as pack recorded them (undefined when one is stdin). */
function sourceBytes(m: Manifest): number | undefined {
  const inputs = m.inputs ?? [];
  return inputs.some((i) => i.path === STDIN_NAME) ? undefined : inputs.reduce((sum, i) => sum + i.bytes, 0);
}

/** Re-renders each packed document's source line and compares tokens and mask. */
async function checkSources(
  dir: string,
  m: Manifest,
  sources: Map<string, Map<number, LineDocuments>>,
  problems: Problems,
  workers: number,
): Promise<number> {
  const readers = m.shards.map((s) => new ShardReader(dir, s, m.seq_len));
  const pool = new RenderPool(workers, {
    dialect: m.dialect as Dialect,
    mask: m.mask as MaskMode,
    documents: manifestDocumentsMode(m),
    allowTrailingCall: m.allow_trailing_call === true,
    from: m.from ?? "auto",
  });
  let checked = 0;
  try {
    for (const input of m.inputs ?? []) {
      const wanted = sources.get(input.path);
      if (!wanted) continue;
      if (input.path === STDIN_NAME) {
        problems.add({
          code: "missing_source",
          file: input.path,
          message: "the dataset was packed from stdin: there is no input file to compare with",
        });
        continue;
      }
      const sourcePath = locateInput(dir, input);
      if (sourcePath === undefined) {
        const tried = inputCandidates(dir, input).join(", ");
        problems.add({ code: "missing_source", file: input.path, message: `input ${input.path} is not found (looked for ${tried})` });
        continue;
      }
      const inFlight: Promise<LineResult[]>[] = [];
      const consume = async (): Promise<void> => {
        for (const r of await inFlight.shift()!) {
          const packed = wanted.get(r.line);
          if (!packed) continue;
          wanted.delete(r.line);
          if (r.kind === "reject") {
            checked += packed.size;
            problems.add({
              code: "source_rejected",
              file: input.path,
              message: `line ${r.line}: packed, but a fresh render rejects it (${r.code}: ${r.message})`,
            });
            continue;
          }
          for (const doc of r.documents) {
            const at = packed.get(doc.id);
            if (!at) continue; // not packed (overlong, dropped)
            packed.delete(doc.id);
            checked++;
            compareWithSource(doc, r.line, at, readers[at.shard], m, input.path, problems);
          }
          for (const [id] of packed)
            problems.add({
              code: "source_document_missing",
              file: input.path,
              message:
                `line ${r.line}: document ${id} is packed, ` +
                `but a fresh render (--documents ${manifestDocumentsMode(m)}) does not make it`,
            });
        }
      };
      for await (const batch of lineBatches(sourcePath, undefined)) {
        // Named as pack named it, so ids made up from file:line (records without an id) are the packed ones.
        const p = pool.run({ ...batch, file: input.path });
        p.catch(() => undefined);
        inFlight.push(p);
        while (inFlight.length > 2 * workers) await consume();
        if (problems.full) break;
      }
      while (inFlight.length > 0) await consume();
      for (const [line] of wanted)
        problems.add({
          code: "missing_source_line",
          file: input.path,
          message: `line ${line} of ${input.path} is packed but not found in the input`,
        });
    }
  } finally {
    await pool.close();
    for (const r of readers) r.close();
  }
  return checked;
}

function compareWithSource(
  r: RenderedDocument,
  line: number,
  at: DocLocation,
  reader: ShardReader | undefined,
  m: Manifest,
  input: string,
  problems: Problems,
): void {
  if (!reader) return;
  const expectedLength = m.overlong.policy === "truncate" ? Math.min(r.tokens.length, m.seq_len) : r.tokens.length;
  const files = m.shards[at.shard].files;
  if (expectedLength !== at.length) {
    problems.add({
      code: "source_length_mismatch",
      file: files.tokens.path,
      offset: (at.sample * m.seq_len + at.offset) * 4,
      message: `${input}:${line} renders to ${r.tokens.length} tokens, packed length is ${at.length}`,
    });
    return;
  }
  const sample = reader.range(at.sample, at.offset, at.length);
  const base = at.sample * m.seq_len + at.offset;
  for (let i = 0; i < at.length; i++) {
    if (sample.tokens[i] !== r.tokens[i]) {
      problems.add({
        code: "source_token_mismatch",
        file: files.tokens.path,
        offset: (base + i) * 4,
        message: `${input}:${line} token ${i}: packed ${sample.tokens[i]}, fresh render ${r.tokens[i]}`,
      });
      return;
    }
    const expectedMask = i === 0 ? 0 : r.mask[i];
    if (sample.mask[i] !== expectedMask) {
      problems.add({
        code: "source_mask_mismatch",
        file: files.mask.path,
        offset: base + i,
        message: `${input}:${line} mask at token ${i}: packed ${sample.mask[i]}, fresh render ${expectedMask}`,
      });
      return;
    }
  }
}
