// Byte chunks of one input: a file read in 1 MiB pieces, or stdin for "-". peekHead() reads just
// enough of the start to tell the container apart, then hands the chunks on, head included.
import { createReadStream } from "node:fs";

/** The argument that means standard input. */
export const STDIN_ARG = "-";
/** How standard input is named in messages and in made-up ids ("<stdin>:LINE"). */
export const STDIN_NAME = "<stdin>";

export function displayName(path: string): string {
  return path === STDIN_ARG ? STDIN_NAME : path;
}

export function openChunks(path: string, highWaterMark = 1 << 20): AsyncIterable<Buffer> {
  return path === STDIN_ARG ? process.stdin : createReadStream(path, { highWaterMark });
}

export interface Peeked {
  /** The first bytes (at most `bytes`; fewer when the input is shorter). */
  head: Buffer;
  /** Every chunk of the input from the start, the peeked ones first. */
  chunks: AsyncIterable<Buffer>;
}

export async function peekHead(source: AsyncIterable<Buffer>, bytes: number): Promise<Peeked> {
  const it = source[Symbol.asyncIterator]();
  const buffered: Buffer[] = [];
  let size = 0;
  let ended = false;
  while (size < bytes) {
    const next = await it.next();
    if (next.done) {
      ended = true;
      break;
    }
    buffered.push(next.value);
    size += next.value.length;
  }
  async function* all(): AsyncGenerator<Buffer> {
    try {
      yield* buffered;
      while (!ended) {
        const next = await it.next();
        if (next.done) return;
        yield next.value;
      }
    } finally {
      // A reader that stops early (render --id) closes the file.
      if (!ended) await it.return?.();
    }
  }
  return { head: Buffer.concat(buffered).subarray(0, bytes), chunks: all() };
}
