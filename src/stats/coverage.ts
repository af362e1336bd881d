// Long-context coverage (docs/LONG_CONTEXT.md): which positions get a gradient. With block-causal
// packing and positions restarting per document, a trained token at position p of its document
// trains attention over p tokens; nothing past the longest document is ever trained. On a packed
// dataset: trained tokens (mask 1) by position band within their document, read from the shards'
// mask and bounds files; the longest trained position; the share of samples holding a document over
// 32 K. On raw records: documents by rendered length band.
import { closeSync, openSync, readSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import type { TopLevelSpec } from "vega-lite";
import { DataError } from "../core/errors.js";
import { readManifest } from "../pack/reader.js";
import { ratio } from "./duplicates.js";
import { int, pct } from "./format.js";
import type { Section } from "./section.js";

/** Position bands within a document (the last one open-ended). */
export const POSITION_BANDS = [
  { id: "0-4k", end: 4096 },
  { id: "4k-16k", end: 16_384 },
  { id: "16k-32k", end: 32_768 },
  { id: "32k-64k", end: 65_536 },
  { id: "64k-128k+", end: Infinity },
] as const;
export type PositionBand = (typeof POSITION_BANDS)[number]["id"];
const LONG_DOCUMENT = 32_768;
/** Below this, "nothing past ~4 K is trained" is what the report says in words. */
const SHORT_REACH = 4096;

export interface PackedCoverage {
  trained_by_position_band: Record<PositionBand, number>;
  trained_share_by_position_band: Record<PositionBand, number>;
  /** 0-based position within its document of the furthest token with mask 1 (-1: none). */
  longest_trained_position: number;
  longest_document: number;
  samples: number;
  samples_with_document_over_32k: number;
  share_samples_with_document_over_32k: number;
}

export interface RawCoverage {
  documents: number;
  documents_by_length_band: Record<PositionBand, number>;
  longest_document: number;
}

export interface Coverage {
  raw: RawCoverage | null;
  packed: PackedCoverage | null;
}

const emptyBands = (): Record<PositionBand, number> =>
  Object.fromEntries(POSITION_BANDS.map((b) => [b.id, 0])) as Record<PositionBand, number>;

export function bandOfLength(tokens: number): PositionBand {
  // A document of exactly 4,096 tokens has positions 0..4095: it belongs to the first band.
  for (const b of POSITION_BANDS) if (tokens <= b.end) return b.id;
  return "64k-128k+";
}

export class RawCoverageAccumulator {
  private readonly bands = emptyBands();
  private documents = 0;
  private longest = 0;

  add(tokens: number): void {
    this.documents++;
    this.bands[bandOfLength(tokens)]++;
    this.longest = Math.max(this.longest, tokens);
  }

  figures(): RawCoverage | null {
    return this.documents === 0
      ? null
      : { documents: this.documents, documents_by_length_band: { ...this.bands }, longest_document: this.longest };
  }
}

export class PackedCoverageAccumulator {
  private readonly trained = emptyBands();
  private longestTrained = -1;
  private longestDocument = 0;
  private samples = 0;
  private samplesWithLong = 0;

  /** One pass over every shard's mask, one sample at a time. */
  async addDataset(dir: string): Promise<void> {
    const manifest = readManifest(dir);
    const seqLen = manifest.seq_len;
    const mask = Buffer.alloc(seqLen);
    for (const shard of manifest.shards) {
      const index = await readFile(join(dir, shard.files.bounds_index.path));
      const bounds = await readFile(join(dir, shard.files.bounds.path));
      const maskPath = join(dir, shard.files.mask.path);
      const fd = openSync(maskPath, "r");
      try {
        for (let s = 0; s < shard.samples; s++) {
          if (readSync(fd, mask, 0, seqLen, s * seqLen) !== seqLen)
            throw new DataError("packed_file_size", `mask ends before sample ${s}`, { file: maskPath });
          const start = Number(index.readBigUInt64LE(s * 8));
          const end = Number(index.readBigUInt64LE((s + 1) * 8));
          this.addSample(mask, bounds, start, end);
        }
      } finally {
        closeSync(fd);
      }
    }
  }

  private addSample(mask: Buffer, bounds: Buffer, start: number, end: number): void {
    this.samples++;
    let long = false;
    for (let j = start; j + 1 < end; j++) {
      const from = bounds.readUInt32LE(j * 4);
      const to = bounds.readUInt32LE((j + 1) * 4);
      const length = to - from;
      this.longestDocument = Math.max(this.longestDocument, length);
      long ||= length > LONG_DOCUMENT;
      let bandStart = 0;
      for (const band of POSITION_BANDS) {
        const bandEnd = Math.min(length, band.end);
        let n = 0;
        for (let p = bandStart; p < bandEnd; p++) {
          if (mask[from + p] === 1) {
            n++;
            if (p > this.longestTrained) this.longestTrained = p;
          }
        }
        this.trained[band.id] += n;
        bandStart = bandEnd;
        if (bandStart >= length) break;
      }
    }
    if (long) this.samplesWithLong++;
  }

  figures(): PackedCoverage | null {
    if (this.samples === 0) return null;
    const total = Object.values(this.trained).reduce((a, b) => a + b, 0);
    return {
      trained_by_position_band: { ...this.trained },
      trained_share_by_position_band: Object.fromEntries(POSITION_BANDS.map((b) => [b.id, ratio(this.trained[b.id], total)])) as Record<
        PositionBand,
        number
      >,
      longest_trained_position: this.longestTrained,
      longest_document: this.longestDocument,
      samples: this.samples,
      samples_with_document_over_32k: this.samplesWithLong,
      share_samples_with_document_over_32k: ratio(this.samplesWithLong, this.samples),
    };
  }
}

/** The report's coverage tables. */
export function coverageSections(coverage: Coverage | undefined): Section[] {
  const out: Section[] = [];
  const raw = coverage?.raw;
  if (raw) {
    out.push({
      title: "Long-context coverage: documents by length band",
      header: ["length band (tokens)", "documents", "share"],
      rows: [
        ...POSITION_BANDS.map((b) => [
          b.id,
          int(raw.documents_by_length_band[b.id]),
          pct(ratio(raw.documents_by_length_band[b.id], raw.documents)),
        ]),
        ["longest document", int(raw.longest_document), ""],
      ],
    });
  }
  const packed = coverage?.packed;
  if (packed) {
    const reach = packed.longest_trained_position + 1;
    out.push({
      title: "Long-context coverage: trained tokens by position in their document",
      header: ["position band", "trained tokens", "share"],
      rows: [
        ...POSITION_BANDS.map((b) => [b.id, int(packed.trained_by_position_band[b.id]), pct(packed.trained_share_by_position_band[b.id])]),
        ["longest trained position", packed.longest_trained_position < 0 ? "none" : int(packed.longest_trained_position), ""],
        [
          "samples holding a document over 32K",
          `${int(packed.samples_with_document_over_32k)} of ${int(packed.samples)}`,
          pct(packed.share_samples_with_document_over_32k),
        ],
        ...(reach <= SHORT_REACH ? [["note", `nothing past position ${int(reach)} is trained: no gradient reaches long context`, ""]] : []),
      ],
    });
  }
  return out;
}

interface CoverageChart {
  id: string;
  title: string;
  caption: string;
  spec: TopLevelSpec;
}

const bars = (values: { band: string; value: number }[], title: string, color: string): TopLevelSpec => ({
  data: { values },
  mark: { type: "bar", color },
  width: 480,
  height: 180,
  encoding: {
    x: { field: "band", type: "ordinal", title: "position band (tokens)", sort: POSITION_BANDS.map((b) => b.id), axis: { labelAngle: 0 } },
    y: { field: "value", type: "quantitative", title, axis: { format: ",d", tickMinStep: 1 } },
  },
});

/** Vega-Lite specs of the coverage charts (charts.ts renders them with the others). */
export function coverageCharts(coverage: Coverage | undefined): CoverageChart[] {
  const out: CoverageChart[] = [];
  const packed = coverage?.packed;
  if (packed) {
    out.push({
      id: "trained-by-position",
      title: "Trained tokens by position in their document",
      caption:
        `Mask-1 tokens per position band (positions restart at each document). Longest trained position: ` +
        `${packed.longest_trained_position < 0 ? "none" : int(packed.longest_trained_position)}.`,
      spec: bars(
        POSITION_BANDS.map((b) => ({ band: b.id, value: packed.trained_by_position_band[b.id] })),
        "trained tokens",
        "#3b6ea8",
      ),
    });
  }
  const raw = coverage?.raw;
  if (raw) {
    out.push({
      id: "documents-by-length",
      title: "Conversations by rendered length",
      caption: "Raw records per length band: only conversations this long can train these positions.",
      spec: bars(
        POSITION_BANDS.map((b) => ({ band: b.id, value: raw.documents_by_length_band[b.id] })),
        "conversations",
        "#d08c3a",
      ),
    });
  }
  return out;
}
