import { describe, expect, it } from "vitest";
import { LOCATOR_BLOCK_BYTES, LocatorSums, locateDifferences } from "../../src/pack/locator.js";

function sums(data: Uint8Array, chunk: number): string {
  const l = new LocatorSums();
  for (let i = 0; i < data.length; i += chunk) l.update(data.subarray(i, i + chunk));
  return l.digest();
}

describe("locator sums", () => {
  const size = 2 * LOCATOR_BLOCK_BYTES + 12345;
  const data = new Uint8Array(size);
  for (let i = 0; i < size; i++) data[i] = (i * 2654435761) >>> 24;

  it("do not depend on how the data is chunked", () => {
    expect(sums(data, 1000)).toBe(sums(data, 1 << 20));
    expect(sums(data, 77777)).toBe(sums(data, size));
  });

  it("name the exact offset of a single changed byte in any block", () => {
    const original = sums(data, 1 << 16);
    for (const offset of [0, 1, 4097, LOCATOR_BLOCK_BYTES - 1, LOCATOR_BLOCK_BYTES, size - 1]) {
      for (const flip of [1, 0x80, 0xff]) {
        const copy = data.slice();
        copy[offset] ^= flip;
        const diffs = locateDifferences(original, sums(copy, 1 << 16), size);
        expect(diffs).toHaveLength(1);
        expect(diffs[0].offset).toBe(offset);
      }
    }
  });

  it("find nothing when nothing changed", () => {
    expect(locateDifferences(sums(data, 4096), sums(data, 8192), size)).toEqual([]);
  });
});
