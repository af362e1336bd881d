// Writes samples into shards of at most `shardSamples` samples, plus documents.jsonl.
import { renameSync } from "node:fs";
import {
  DOCUMENTS_FILE,
  SHARD_KINDS,
  bytesOf,
  documentLine,
  shardFileName,
  type FileEntry,
  type ShardEntry,
  type ShardKind,
} from "./format.js";
import { HashedFile } from "./hashed-file.js";

/** A document placed in a sample. `input` is the input path as given. */
export interface PlacedDocument {
  id: string;
  input: string;
  line: number;
  offset: number;
  length: number;
  trained: number;
}

/** One finished sample: seq_len tokens and mask, its documents in position order. */
export interface PackedSample {
  tokens: Uint32Array;
  mask: Uint8Array;
  documents: PlacedDocument[];
}

export interface SampleSink {
  writeSample(sample: PackedSample): void;
}

export class ShardWriter implements SampleSink {
  private readonly shards: ShardEntry[] = [];
  private current: { index: number; samples: number; files: Record<ShardKind, HashedFile>; boundsCount: bigint } | undefined;
  private readonly documents: HashedFile;
  private readonly closedFiles: HashedFile[] = [];
  samples = 0;

  constructor(
    private readonly dir: string,
    private readonly shardSamples: number,
  ) {
    this.documents = new HashedFile(dir, DOCUMENTS_FILE);
  }

  writeSample(sample: PackedSample): void {
    const shard = this.openShard();
    const bounds = new Uint32Array(sample.documents.length + 1);
    sample.documents.forEach((d, k) => (bounds[k] = d.offset));
    const last = sample.documents[sample.documents.length - 1];
    bounds[sample.documents.length] = last ? last.offset + last.length : 0;

    shard.files.tokens.write(bytesOf(sample.tokens));
    shard.files.mask.write(bytesOf(sample.mask));
    shard.files.bounds.write(bytesOf(bounds));
    shard.boundsCount += BigInt(bounds.length);
    shard.files.bounds_index.write(bytesOf(BigUint64Array.of(shard.boundsCount)));
    for (const d of sample.documents) {
      this.documents.writeText(documentLine({ ...d, shard: shard.index, sample: shard.samples }));
    }
    shard.samples++;
    this.samples++;
    if (shard.samples === this.shardSamples) this.closeShard();
  }

  /** Closes every file (still under partial names). */
  finish(): { shards: ShardEntry[]; documents: FileEntry } {
    this.closeShard();
    const documents = this.documents.close();
    this.closedFiles.push(this.documents);
    return { shards: this.shards, documents };
  }

  /** Renames every written file to its final name. */
  publish(): void {
    for (const f of this.closedFiles) renameSync(f.partialPath, f.finalPath);
  }

  private openShard() {
    if (!this.current) {
      const index = this.shards.length;
      const files = Object.fromEntries(SHARD_KINDS.map((kind) => [kind, new HashedFile(this.dir, shardFileName(index, kind))])) as Record<
        ShardKind,
        HashedFile
      >;
      this.current = { index, samples: 0, files, boundsCount: 0n };
      // bounds_index starts with 0: samples + 1 offsets.
      files.bounds_index.write(bytesOf(BigUint64Array.of(0n)));
    }
    return this.current;
  }

  private closeShard(): void {
    const shard = this.current;
    if (!shard) return;
    const files = {} as Record<ShardKind, FileEntry>;
    for (const kind of SHARD_KINDS) {
      files[kind] = shard.files[kind].close();
      this.closedFiles.push(shard.files[kind]);
    }
    this.shards.push({ samples: shard.samples, files });
    this.current = undefined;
  }
}
