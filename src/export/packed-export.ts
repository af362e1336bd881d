// `datagen export --to hf-parquet | megatron-bridge`: a packed dataset → Parquet rows, one per sample.
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { join } from "node:path";
import { DataError } from "../core/errors.js";
import { MANIFEST_FILE, type Manifest } from "../pack/format.js";
import { readManifest } from "../pack/reader.js";
import { verifyDataset } from "../pack/verify.js";
import { packedCard } from "./card.js";
import { packedSpec, type PackedFormat } from "./formats.js";
import { CARD_FILE, openExportDir, removeExportFiles, writeOutputFile } from "./output.js";
import { checkShardFiles, packedSampleRefs } from "./packed.js";
import { ParquetParts, type CompressionName } from "./parquet.js";
import type { ExportSummary } from "./types.js";

export interface PackedExportOptions {
  source: string;
  to: PackedFormat;
  out: string;
  force: boolean;
  /** Recompute every checksum of the source first and refuse a damaged one. */
  verify: boolean;
  compression: CompressionName;
  fileTokens: number;
  rowGroupRows: number;
  /** Parquet encoder threads (0: encode on this thread; default: encoderThreads). */
  workers?: number;
  onProgress?: (p: { samples: number; totalSamples: number; stage: "verify" | "export" }) => void;
}

/**
 * One thread per Parquet file up to the core count, and none when the export is one file: a
 * thread's start (its own module graph, apache-arrow and parquet-wasm) took about 0.6 s of a 1 s
 * export of the example records (--cpu-prof), and one file is encoded by one thread anyway.
 */
export function encoderThreads(tokens: number, fileTokens: number): number {
  const files = Math.ceil(tokens / fileTokens);
  return files <= 1 ? 0 : Math.min(availableParallelism(), files);
}

export async function exportPacked(o: PackedExportOptions): Promise<ExportSummary> {
  const started = Date.now();
  const manifest = readManifest(o.source);
  const manifestSha256 = createHash("sha256")
    .update(readFileSync(join(o.source, MANIFEST_FILE)))
    .digest("hex");
  if (o.verify) await refuseDamaged(o.source, manifest, o.onProgress);
  checkShardFiles(o.source, manifest);

  const out = openExportDir(o.out, o.force, [o.source]);
  const layout = packedSpec(o.to);
  const parts = new ParquetParts({
    dir: out.dir,
    prefix: "part-",
    suffix: layout.suffix,
    columns: layout.columns,
    fileTokens: o.fileTokens,
    rowGroupRows: o.rowGroupRows,
    compression: o.compression,
    workers: o.workers ?? encoderThreads(manifest.tokens.real, o.fileTokens),
    packed: { format: o.to, source: { dir: o.source, seqLen: manifest.seq_len, shards: manifest.shards } },
    metadata: { "datagen.export": o.to, "datagen.source_manifest_sha256": manifestSha256 },
  });
  const s = { rows: 0, documents: 0, tokens: 0 };
  try {
    for (const sample of packedSampleRefs(o.source, manifest)) {
      s.rows++;
      s.documents += sample.bounds.length - 1;
      s.tokens += sample.bounds[sample.bounds.length - 1];
      await parts.addSample(sample);
      o.onProgress?.({ samples: s.rows, totalSamples: manifest.samples, stage: "export" });
    }
    const files = await parts.finish();
    const summary: ExportSummary = {
      format: o.to,
      source: o.source,
      out: out.final,
      files,
      rows: s.rows,
      documents: s.documents,
      tokens: s.tokens,
      trained: parts.trained,
      rejects: 0,
      ...(layout.eosRule ? { eosZeroed: parts.eosZeroed } : {}),
      sourceManifestSha256: manifestSha256,
      verified: o.verify,
      seconds: (Date.now() - started) / 1000,
    };
    writeOutputFile(join(out.dir, CARD_FILE), packedCard(summary, manifest));
    out.commit();
    return summary;
  } catch (e) {
    await parts.close();
    removeExportFiles(out.dir);
    out.abort();
    throw e;
  }
}

async function refuseDamaged(dir: string, manifest: Manifest, onProgress: PackedExportOptions["onProgress"]): Promise<void> {
  onProgress?.({ samples: 0, totalSamples: manifest.samples, stage: "verify" });
  const report = await verifyDataset(dir, { maxProblems: 5 });
  if (report.ok) return;
  const p = report.problems[0];
  const where = p.file ? `${p.file}${p.offset !== undefined ? ` @${p.offset}` : ""}: ` : "";
  throw new DataError(
    "source_verify_failed",
    `${dir} fails dataset verify (${report.problems.length}${report.truncated ? "+" : ""} problem(s); first: ` +
      `${p.code} ${where}${p.message}); run 'dataset verify ${dir}', repack, or pass --no-verify to export anyway`,
    { file: dir },
  );
}
