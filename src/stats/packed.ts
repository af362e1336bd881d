// Statistics of packed datasets (the format of docs/FORMAT.md): manifest.json,
// documents.jsonl and each shard's bounds files. Token and mask files are never read: the
// bounds give every sample's real length, documents.jsonl every document's trained count.
// Memory: a few numbers per sample, one byte per source record for the persona join.
import { existsSync, statSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { DataError } from "../core/errors.js";
import { readJsonl } from "../core/jsonl.js";
import { manifestDocumentsMode, type DocumentsStats, type Manifest } from "../pack/format.js";
import { datasetFile, readManifest } from "../pack/manifest.js";
import { locateInput } from "../pack/source-path.js";
import { ratio } from "./duplicates.js";
import { NO_PERSONA } from "./facts.js";
import { Reservoir, type Distribution } from "./quantiles.js";
import { sortByPersona } from "./raw.js";

/** Per-sample rows written to JSON (all samples are in the distributions). */
export const MAX_SAMPLE_ROWS = 10_000;
const UNKNOWN_PERSONA = "unknown";

export interface SampleRow {
  dataset: number;
  shard: number;
  sample: number;
  documents: number;
  tokens: number;
  trained: number;
  fill: number;
  trained_fraction: number;
}

export interface PackedFigures {
  datasets: {
    path: string;
    seq_len: number;
    dialect: string;
    mask: string;
    samples: number;
    documents: number;
    fill_rate: number;
    documents_mode: string;
    documents_stats: DocumentsStats | null;
  }[];
  seq_len: number;
  samples: number;
  documents: number;
  tokens: { real: number; trained: number; padding: number };
  fill_rate: number;
  trained_fraction: number;
  fill_per_sample: Distribution;
  documents_per_sample: Distribution;
  trained_fraction_per_sample: Distribution;
  overlong: { policy: string; dropped: number; count: number };
  rejects: { total: number; by_reason: Record<string, number> };
  tokens_by_persona: Record<string, { documents: number; tokens: number; trained: number }>;
  /** How the persona of a document was found: documents.jsonl, the source records, or not at all. */
  persona_source: string;
  per_sample: SampleRow[];
  per_sample_truncated: boolean;
  warnings: string[];
}

interface DocumentLine {
  id?: string;
  input?: string | number;
  line?: number;
  shard: number;
  sample: number;
  length: number;
  trained: number;
  persona?: string | null;
}

interface SampleTable {
  documents: Uint32Array;
  tokens: Float64Array;
  trained: Float64Array;
}

export class PackedAccumulator {
  private readonly datasets: PackedFigures["datasets"] = [];
  private readonly samples: (Omit<SampleRow, "fill" | "trained_fraction"> & { seqLen: number })[] = [];
  private readonly personas = new Map<string, { documents: number; tokens: number; trained: number }>();
  private readonly rejectsByReason = new Map<string, number>();
  private readonly warnings: string[] = [];
  private readonly personaSources = new Set<string>();
  private documents = 0;
  private capacity = 0;
  private overlongPolicy = "";
  private overlongCount = 0;
  private rejectsTotal = 0;

  async addDataset(dir: string): Promise<void> {
    const manifest = readManifest(dir);
    const index = this.datasets.length;
    const table = await readSampleTable(dir, manifest);
    const personaOf = await personaLookup(dir, manifest);
    let documents = 0;
    let hasPersonaField = false;
    const documentsPath = datasetFile(dir, manifest.documents_file?.path ?? "documents.jsonl", "/documents_file/path");
    for await (const item of readJsonl(documentsPath)) {
      if ("error" in item) throw new DataError(`packed_${item.error.code}`, item.error.message, { file: documentsPath, line: item.line });
      const doc = item.value as DocumentLine;
      const at = sampleIndex(manifest, doc, documentsPath, item.line);
      table.trained[at] += doc.trained;
      documents++;
      hasPersonaField ||= "persona" in doc;
      const persona = "persona" in doc ? (doc.persona ?? NO_PERSONA) : personaOf(doc);
      const p = this.personas.get(persona) ?? { documents: 0, tokens: 0, trained: 0 };
      p.documents++;
      p.tokens += doc.length;
      p.trained += doc.trained;
      this.personas.set(persona, p);
    }
    this.personaSources.add(hasPersonaField ? "documents.jsonl" : personaOf.source);
    this.checkAgainstManifest(dir, manifest, table, documents);
    let real = 0;
    for (let i = 0; i < manifest.samples; i++) {
      const [shard, sample] = shardOf(manifest, i);
      this.samples.push({
        dataset: index,
        shard,
        sample,
        documents: table.documents[i],
        tokens: table.tokens[i],
        trained: table.trained[i],
        seqLen: manifest.seq_len,
      });
      real += table.tokens[i];
    }
    this.documents += documents;
    this.capacity += manifest.samples * manifest.seq_len;
    this.overlongPolicy ||= manifest.overlong?.policy ?? "";
    this.overlongCount += manifest.overlong?.count ?? 0;
    await this.readRejects(dir, manifest);
    this.datasets.push({
      path: dir,
      seq_len: manifest.seq_len,
      dialect: manifest.dialect ?? "",
      mask: manifest.mask ?? "",
      samples: manifest.samples,
      documents,
      fill_rate: ratio(real, manifest.samples * manifest.seq_len),
      // --documents of the pack (older manifests: the whole-record rendering) and what it cost.
      documents_mode: manifestDocumentsMode(manifest),
      documents_stats: manifest.documents_stats ?? null,
    });
  }

  figures(): PackedFigures {
    const fill = new Reservoir(undefined, 21);
    const docs = new Reservoir(undefined, 22);
    const trainedFraction = new Reservoir(undefined, 23);
    let real = 0;
    let trained = 0;
    for (const s of this.samples) {
      fill.add(s.tokens / s.seqLen);
      docs.add(s.documents);
      trainedFraction.add(ratio(s.trained, s.tokens));
      real += s.tokens;
      trained += s.trained;
    }
    return {
      datasets: this.datasets,
      seq_len: this.datasets[0]?.seq_len ?? 0,
      samples: this.samples.length,
      documents: this.documents,
      tokens: { real, trained, padding: this.capacity - real },
      fill_rate: ratio(real, this.capacity),
      trained_fraction: ratio(trained, real),
      fill_per_sample: fill.summary(),
      documents_per_sample: docs.summary(),
      trained_fraction_per_sample: trainedFraction.summary(),
      overlong: {
        policy: this.overlongPolicy,
        dropped: this.overlongPolicy === "drop" ? this.overlongCount : 0,
        count: this.overlongCount,
      },
      rejects: { total: this.rejectsTotal, by_reason: Object.fromEntries(this.rejectsByReason) },
      tokens_by_persona: Object.fromEntries(sortByPersona(this.personas)),
      persona_source: [...this.personaSources].join(", "),
      per_sample: this.samples.slice(0, MAX_SAMPLE_ROWS).map((s) => ({
        dataset: s.dataset,
        shard: s.shard,
        sample: s.sample,
        documents: s.documents,
        tokens: s.tokens,
        trained: s.trained,
        fill: s.tokens / s.seqLen,
        trained_fraction: ratio(s.trained, s.tokens),
      })),
      per_sample_truncated: this.samples.length > MAX_SAMPLE_ROWS,
      warnings: this.warnings,
    };
  }

  private checkAgainstManifest(dir: string, manifest: Manifest, table: SampleTable, documents: number): void {
    const real = table.tokens.reduce((a, b) => a + b, 0);
    const trained = table.trained.reduce((a, b) => a + b, 0);
    const boundsDocs = table.documents.reduce((a, b) => a + b, 0);
    const check = (what: string, found: number, claimed: number | undefined) => {
      if (claimed !== undefined && found !== claimed) this.warnings.push(`${dir}: ${what} is ${found} but manifest.json says ${claimed}`);
    };
    check("documents in documents.jsonl", documents, manifest.documents);
    check("documents in the bounds files", boundsDocs, manifest.documents);
    check("real tokens in the bounds files", real, manifest.tokens?.real);
    check("trained tokens in documents.jsonl", trained, manifest.tokens?.trained);
  }

  private async readRejects(dir: string, manifest: Manifest): Promise<void> {
    const path = datasetFile(dir, manifest.rejects_file?.path ?? "rejects.jsonl", "/rejects_file/path");
    if (existsSync(path)) {
      for await (const item of readJsonl(path)) {
        this.rejectsTotal++;
        const reason = "error" in item ? `unreadable_${item.error.code}` : rejectReason(item.value);
        this.rejectsByReason.set(reason, (this.rejectsByReason.get(reason) ?? 0) + 1);
      }
    } else {
      this.rejectsTotal += manifest.rejects;
    }
  }
}

/** The reason code of a rejects.jsonl line, whichever stage wrote it. */
export function rejectReason(value: unknown): string {
  const v = value as { reason?: unknown; code?: unknown; issues?: { code?: unknown }[]; error?: { code?: unknown } } | null;
  const candidates = [v?.reason, v?.code, v?.issues?.[0]?.code, v?.error?.code];
  const found = candidates.find((c) => typeof c === "string" && c !== "");
  return (found as string | undefined) ?? "unknown";
}

/** Documents and real tokens of every sample, from the shards' bounds files. */
async function readSampleTable(dir: string, manifest: Manifest): Promise<SampleTable> {
  const total = manifest.shards.reduce((n, s) => n + s.samples, 0);
  if (total !== manifest.samples) {
    throw new DataError("packed_manifest_invalid", `shards hold ${total} samples but samples is ${manifest.samples}`, {
      file: join(dir, "manifest.json"),
    });
  }
  // Sizes before memory: the table is allocated from the sample count only once the files back it.
  const paths = manifest.shards.map((shard) => ({
    index: datasetFile(dir, shard.files.bounds_index.path),
    bounds: datasetFile(dir, shard.files.bounds.path),
  }));
  manifest.shards.forEach((shard, s) => {
    const size = fileSize(paths[s].index);
    if (size !== (shard.samples + 1) * 8) {
      throw new DataError(
        "packed_bounds_index_size",
        `expected ${(shard.samples + 1) * 8} bytes for ${shard.samples} samples, found ${size}`,
        { file: paths[s].index },
      );
    }
  });
  const table: SampleTable = { documents: new Uint32Array(total), tokens: new Float64Array(total), trained: new Float64Array(total) };
  let base = 0;
  for (const [s, shard] of manifest.shards.entries()) {
    const indexPath = paths[s].index;
    const boundsPath = paths[s].bounds;
    const index = await readTyped(indexPath, 8);
    const bounds = await readTyped(boundsPath, 4);
    for (let s = 0; s < shard.samples; s++) {
      const start = Number(index.readBigUInt64LE(s * 8));
      const end = Number(index.readBigUInt64LE((s + 1) * 8));
      if (end <= start || end * 4 > bounds.byteLength) {
        throw new DataError("packed_bounds_invalid", `sample ${s}: bounds elements ${start}..${end} out of range`, { file: boundsPath });
      }
      const last = bounds.readUInt32LE((end - 1) * 4);
      if (last > manifest.seq_len)
        throw new DataError("packed_bounds_invalid", `sample ${s}: end ${last} > seq_len ${manifest.seq_len}`, { file: boundsPath });
      table.documents[base + s] = end - start - 1;
      table.tokens[base + s] = last - bounds.readUInt32LE(start * 4);
    }
    base += shard.samples;
  }
  return table;
}

function fileSize(path: string): number {
  try {
    return statSync(path).size;
  } catch (e) {
    throw new DataError("packed_file_missing", (e as Error).message, { file: path });
  }
}

async function readTyped(path: string, elementBytes: number): Promise<Buffer> {
  let data: Buffer;
  try {
    data = await readFile(path);
  } catch (e) {
    throw new DataError("packed_file_missing", (e as Error).message, { file: path });
  }
  if (data.byteLength % elementBytes !== 0)
    throw new DataError("packed_file_size", `size ${data.byteLength} is not a multiple of ${elementBytes}`, { file: path });
  return data;
}

function sampleIndex(manifest: Manifest, doc: DocumentLine, file: string, line: number): number {
  let base = 0;
  for (let s = 0; s < doc.shard && s < manifest.shards.length; s++) base += manifest.shards[s].samples;
  const shard = manifest.shards[doc.shard];
  if (!shard || !Number.isInteger(doc.sample) || doc.sample < 0 || doc.sample >= shard.samples) {
    throw new DataError("packed_document_invalid", `shard ${doc.shard} sample ${doc.sample} does not exist`, { file, line, id: doc.id });
  }
  return base + doc.sample;
}

function shardOf(manifest: Manifest, globalSample: number): [number, number] {
  let rest = globalSample;
  for (let s = 0; s < manifest.shards.length; s++) {
    if (rest < manifest.shards[s].samples) return [s, rest];
    rest -= manifest.shards[s].samples;
  }
  return [-1, -1];
}

type PersonaLookup = ((doc: DocumentLine) => string) & { source: string };

/**
 * When documents.jsonl has no persona, join each document to its source record by (input, line):
 * the sources are streamed once and one byte per line is kept (an index into the persona names).
 */
async function personaLookup(dir: string, manifest: Manifest): Promise<PersonaLookup> {
  const names: string[] = [UNKNOWN_PERSONA];
  const byInput = new Map<string, Uint8Array>();
  const inputs = manifest.inputs ?? [];
  let found = 0;
  for (const input of inputs) {
    const path = locateInput(dir, input);
    if (!path) continue;
    found++;
    let lines: Uint8Array = new Uint8Array(1024);
    for await (const item of readJsonl(path)) {
      if (!("value" in item)) continue;
      const persona = (item.value as { persona?: string | null }).persona;
      const name = persona === null || persona === undefined ? NO_PERSONA : String(persona);
      let code = names.indexOf(name);
      if (code === -1 && names.length < 255) code = names.push(name) - 1;
      if (item.line >= lines.length) lines = grow(lines, item.line + 1);
      lines[item.line] = Math.max(code, 0);
    }
    byInput.set(input.path, lines);
  }
  const lookup = ((doc: DocumentLine) => {
    const key = typeof doc.input === "number" ? inputs[doc.input]?.path : doc.input;
    const lines = key === undefined ? undefined : byInput.get(key);
    return lines && doc.line !== undefined ? names[lines[doc.line] ?? 0] : UNKNOWN_PERSONA;
  }) as PersonaLookup;
  lookup.source = inputs.length === 0 ? "none (no inputs in manifest)" : `source records (${found} of ${inputs.length} inputs found)`;
  return lookup;
}

function grow(a: Uint8Array, atLeast: number): Uint8Array {
  const b = new Uint8Array(Math.max(atLeast, a.length * 2));
  b.set(a);
  return b;
}
