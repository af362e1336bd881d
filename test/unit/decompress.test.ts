// A cut-short gzip hands on every byte zlib can inflate before the cut, then fails, whatever the
// pace of its reader: a stream that errors drops what it still buffers, and validate's worker
// path (a slower reader) used to report fewer items before the cut than the single thread.
import { constants, gunzipSync, gzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { CorruptContainer, gunzip } from "../../src/ingest/containers/decompress.js";

const line = (i: number): string => JSON.stringify({ id: i, text: "hello world ".repeat(1 + ((i * 7) % 30)) });
const text = Array.from({ length: 20_000 }, (_, i) => line(i)).join("\n");
const whole = gzipSync(Buffer.from(text));
const cut = whole.subarray(0, Math.floor(whole.length * 0.6));

async function* chunksOf(bytes: Buffer): AsyncGenerator<Buffer> {
  for (let at = 0; at < bytes.length; at += 65_536) yield bytes.subarray(at, at + 65_536);
}

/** All that gunzip hands on before it ends, and how it ends; `pauseMs` between reads stands for a slow reader. */
async function drain(bytes: Buffer, pauseMs: number): Promise<{ bytes: Buffer; error?: unknown }> {
  const parts: Buffer[] = [];
  try {
    for await (const part of gunzip(chunksOf(bytes))) {
      parts.push(part);
      if (pauseMs > 0) await new Promise((resolve) => setTimeout(resolve, pauseMs));
    }
    return { bytes: Buffer.concat(parts) };
  } catch (error) {
    return { bytes: Buffer.concat(parts), error };
  }
}

describe("gunzip", () => {
  it("inflates a whole stream exactly", async () => {
    const r = await drain(whole, 0);
    expect(r.error).toBeUndefined();
    expect(r.bytes.equals(Buffer.from(text))).toBe(true);
  });

  it("a cut-short stream: every inflatable byte, then CorruptContainer, for a fast and a slow reader alike", async () => {
    const inflatable = gunzipSync(cut, { finishFlush: constants.Z_SYNC_FLUSH });
    for (const pauseMs of [0, 3]) {
      const r = await drain(cut, pauseMs);
      expect(r.error).toBeInstanceOf(CorruptContainer);
      expect(r.bytes.length, `reader pausing ${pauseMs} ms`).toBe(inflatable.length);
      expect(r.bytes.equals(inflatable)).toBe(true);
    }
  });
});
