// Streaming decompression: gzip by node:zlib, zstd by fzstd (Node 20 has no zstd in zlib).
// Either way the codec is fed 16 KiB at a time, so memory stays at one read chunk plus what one
// slice inflates to; a corrupt or truncated stream ends in a CorruptContainer error once every
// good byte before it has been handed on, however slowly the consumer reads.
import { createGunzip } from "node:zlib";
import { Decompress } from "fzstd";

/** The compressed data is damaged or cut short; source.ts adds the file and line. */
export class CorruptContainer extends Error {}

/** Compressed bytes fed to zlib at a time: what one step may inflate to is bounded by this (×1032 at most for gzip). */
const GZIP_SLICE = 16 * 1024;

/**
 * zlib is fed one slice at a time and everything it inflates is collected before the next: a
 * stream that errors discards the output still buffered in it, so reading it at the consumer's
 * pace would hand on fewer good bytes before a damaged or cut-short end the slower the consumer
 * (validate with workers lost the last items before a cut that the single thread reported).
 */
export async function* gunzip(chunks: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  const unzip = createGunzip();
  const inflated: Buffer[] = [];
  let failure: Error | undefined;
  unzip.on("data", (d: Buffer) => inflated.push(d));
  unzip.on("error", (e) => (failure ??= e));
  /** Starts one step (a write, the end); resolves once zlib has emitted all that step produced, or has failed. */
  const step = (start: (done: () => void) => void): Promise<void> =>
    new Promise((resolve) => {
      const done = (): void => {
        unzip.off("error", done);
        resolve();
      };
      unzip.once("error", done);
      start(done);
    });
  try {
    for await (const chunk of chunks) {
      for (let at = 0; at < chunk.length && failure === undefined; at += GZIP_SLICE) {
        // setImmediate: output zlib pushed while paused in its buffer is emitted on the ticks before it.
        await step((done) => unzip.write(chunk.subarray(at, at + GZIP_SLICE), () => setImmediate(done)));
        yield* inflated.splice(0);
      }
      if (failure !== undefined) break;
    }
    if (failure === undefined) await step((done) => unzip.once("end", done).end());
    yield* inflated.splice(0);
    if (failure !== undefined) throw corrupt(failure);
  } finally {
    unzip.destroy();
  }
}

function corrupt(e: Error): Error {
  return isZlibError(e) ? new CorruptContainer(`gzip data is corrupt or truncated (${e.message})`) : e;
}

function isZlibError(e: unknown): boolean {
  const code = (e as { code?: unknown }).code;
  return typeof code === "string" && code.startsWith("Z_");
}

const ZSTD_SLICE = 16 * 1024;

export async function* unzstd(chunks: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  let out: Buffer[] = [];
  const codec = new Decompress((data) => {
    out.push(Buffer.from(data.buffer, data.byteOffset, data.byteLength));
  });
  const push = (chunk: Uint8Array, final: boolean): Buffer[] => {
    try {
      codec.push(chunk, final);
    } catch (e) {
      throw new CorruptContainer(`zstd data is corrupt or truncated (${(e as Error).message})`);
    }
    const ready = out;
    out = [];
    return ready;
  };
  // Fed in small slices: one push decodes all it is given at once, and JSONL often compresses
  // 50-100x, so a 1 MiB read would become ~100 MiB held before the first line is handed on.
  for await (const chunk of chunks) {
    for (let at = 0; at < chunk.length; at += ZSTD_SLICE) yield* push(chunk.subarray(at, at + ZSTD_SLICE), false);
  }
  yield* push(new Uint8Array(0), true);
}
