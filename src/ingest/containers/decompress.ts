// Streaming decompression: gzip by node:zlib, zstd by fzstd (Node 20 has no zstd in zlib).
// Either way memory stays at one chunk plus the codec's window; a corrupt or truncated stream
// ends in a CorruptContainer error once the good bytes before it have been handed on.
import { Readable } from "node:stream";
import { createGunzip } from "node:zlib";
import { Decompress } from "fzstd";

/** The compressed data is damaged or cut short; source.ts adds the file and line. */
export class CorruptContainer extends Error {}

export async function* gunzip(chunks: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  const unzip = createGunzip();
  const input = Readable.from(chunks);
  input.on("error", (e) => unzip.destroy(e));
  input.pipe(unzip);
  try {
    for await (const chunk of unzip) yield chunk as Buffer;
  } catch (e) {
    if (isZlibError(e)) throw new CorruptContainer(`gzip data is corrupt or truncated (${(e as Error).message})`);
    throw e;
  } finally {
    input.destroy();
    unzip.destroy();
  }
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
