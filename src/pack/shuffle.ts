// --shuffle-seed: samples are staged in packing order (fixed-size records on disk, so memory stays
// bounded), then replayed in a seeded random order into the shard writer.
import { closeSync, openSync, readSync, rmSync, writeSync } from "node:fs";
import { join } from "node:path";
import { splitmix32 } from "../core/prng.js";
import { PARTIAL_SUFFIX, bytesOf } from "./format.js";
import type { PackedSample, PlacedDocument, SampleSink } from "./shard-writer.js";

export class ShuffleStage implements SampleSink {
  private readonly samplesPath: string;
  private readonly documentsPath: string;
  private readonly samplesFd: number;
  private readonly documentsFd: number;
  private readonly docOffsets: number[] = [0];
  private count = 0;

  constructor(
    dir: string,
    private readonly seqLen: number,
  ) {
    this.samplesPath = join(dir, "staging.samples" + PARTIAL_SUFFIX);
    this.documentsPath = join(dir, "staging.documents" + PARTIAL_SUFFIX);
    this.samplesFd = openSync(this.samplesPath, "w+");
    this.documentsFd = openSync(this.documentsPath, "w+");
  }

  writeSample(sample: PackedSample): void {
    writeAll(this.samplesFd, bytesOf(sample.tokens));
    writeAll(this.samplesFd, sample.mask);
    const docs = Buffer.from(JSON.stringify(sample.documents), "utf8");
    writeAll(this.documentsFd, docs);
    this.docOffsets.push(this.docOffsets[this.docOffsets.length - 1] + docs.length);
    this.count++;
  }

  /** Writes every staged sample into `sink` in the order given by `seed`, then deletes the staging files. */
  replay(seed: number, sink: SampleSink): void {
    const recordBytes = this.seqLen * 5;
    const record = Buffer.alloc(recordBytes);
    for (const k of seededPermutation(this.count, seed)) {
      readExactly(this.samplesFd, record, k * recordBytes);
      const docBytes = Buffer.alloc(this.docOffsets[k + 1] - this.docOffsets[k]);
      readExactly(this.documentsFd, docBytes, this.docOffsets[k]);
      sink.writeSample({
        tokens: new Uint32Array(record.buffer, record.byteOffset, this.seqLen),
        mask: record.subarray(this.seqLen * 4),
        documents: JSON.parse(docBytes.toString("utf8")) as PlacedDocument[],
      });
    }
    this.remove();
  }

  remove(): void {
    closeSync(this.samplesFd);
    closeSync(this.documentsFd);
    rmSync(this.samplesPath, { force: true });
    rmSync(this.documentsPath, { force: true });
  }
}

/** Fisher-Yates driven by splitmix32: the same (n, seed) always gives the same order. */
export function seededPermutation(n: number, seed: number): Uint32Array {
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  const next = splitmix32(seed);
  for (let i = n - 1; i > 0; i--) {
    const unit = ((next() >>> 5) * 67108864 + (next() >>> 6)) / 9007199254740992; // [0, 1), 53 bits
    const j = Math.floor(unit * (i + 1));
    const t = order[i];
    order[i] = order[j];
    order[j] = t;
  }
  return order;
}

function writeAll(fd: number, data: Uint8Array): void {
  let done = 0;
  while (done < data.length) done += writeSync(fd, data, done, data.length - done);
}

function readExactly(fd: number, into: Uint8Array, position: number): void {
  let done = 0;
  while (done < into.length) {
    const n = readSync(fd, into, done, into.length - done, position + done);
    if (n === 0) throw new Error("staging file ended early");
    done += n;
  }
}
