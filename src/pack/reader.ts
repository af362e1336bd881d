// Reading a packed dataset (the layout of docs/FORMAT.md): the manifest and samples by index.
import { closeSync, fstatSync, openSync, readFileSync, readSync } from "node:fs";
import type { ShardEntry } from "./format.js";
import { datasetFile } from "./manifest.js";
export { readManifest } from "./manifest.js";

export interface SampleView {
  tokens: Uint32Array;
  mask: Uint8Array;
  /** [0, s1, …, end]: document starts, then the end of the last document. */
  bounds: Uint32Array;
}

/** Random access to the samples of one shard (positional reads, nothing mapped). */
export class ShardReader {
  private readonly fds: { tokens: number; mask: number; bounds: number };
  readonly boundsIndex: BigUint64Array;

  constructor(
    dir: string,
    readonly shard: ShardEntry,
    readonly seqLen: number,
  ) {
    const f = shard.files;
    this.fds = {
      tokens: openSync(datasetFile(dir, f.tokens.path), "r"),
      mask: openSync(datasetFile(dir, f.mask.path), "r"),
      bounds: openSync(datasetFile(dir, f.bounds.path), "r"),
    };
    const index = readFileSync(datasetFile(dir, f.bounds_index.path));
    this.boundsIndex = new BigUint64Array(index.buffer.slice(index.byteOffset, index.byteOffset + (index.byteLength & ~7)));
  }

  /** The bounds file's real size in 4-byte elements (the manifest's byte count is only a claim). */
  get boundsElements(): number {
    return Math.floor(fstatSync(this.fds.bounds).size / 4);
  }

  get samples(): number {
    return this.shard.samples;
  }

  sample(k: number): SampleView {
    const tokens = new Uint32Array(this.seqLen);
    const mask = new Uint8Array(this.seqLen);
    readAt(this.fds.tokens, new Uint8Array(tokens.buffer), k * this.seqLen * 4);
    readAt(this.fds.mask, mask, k * this.seqLen);
    const from = Number(this.boundsIndex[k]);
    const to = Number(this.boundsIndex[k + 1]);
    const bounds = new Uint32Array(Math.max(0, to - from));
    readAt(this.fds.bounds, new Uint8Array(bounds.buffer), from * 4);
    return { tokens, mask, bounds };
  }

  /** The first tokens and mask values of sample k into `tokens` and `mask` (as many as they hold), without allocating. */
  readPrefixInto(k: number, tokens: Uint32Array | Int32Array, mask: Uint8Array): void {
    readAt(this.fds.tokens, new Uint8Array(tokens.buffer, tokens.byteOffset, tokens.byteLength), k * this.seqLen * 4);
    readAt(this.fds.mask, mask, k * this.seqLen);
  }

  /** `length` tokens and mask values of sample k from position `offset`. */
  range(k: number, offset: number, length: number): { tokens: Uint32Array; mask: Uint8Array } {
    const tokens = new Uint32Array(length);
    const mask = new Uint8Array(length);
    readAt(this.fds.tokens, new Uint8Array(tokens.buffer), (k * this.seqLen + offset) * 4);
    readAt(this.fds.mask, mask, k * this.seqLen + offset);
    return { tokens, mask };
  }

  close(): void {
    for (const fd of Object.values(this.fds)) closeSync(fd);
  }
}

/** Fills `into` from `position`; a short file leaves the rest zero (the checksum check reports it). */
function readAt(fd: number, into: Uint8Array, position: number): void {
  let done = 0;
  while (done < into.length) {
    const n = readSync(fd, into, done, into.length - done, position + done);
    if (n === 0) return;
    done += n;
  }
}
