// A sha256 says that a file changed, not where. The locator adds, per block of BLOCK_BYTES,
// two sums modulo the prime P:  S = Σ b_i  and  T = Σ (n - i)·b_i  (n = block length).
// If one byte changes by d, S changes by d and T by (n - j)·d, so j = n - ΔT/ΔS (mod P):
// the exact offset of a single flipped byte. P > BLOCK_BYTES and P > 255 make that unique.
// Cost: two additions per byte; 8 bytes per MiB of data in the manifest.

export const LOCATOR_BLOCK_BYTES = 1 << 20;
export const LOCATOR_MODULUS = 1_048_583; // smallest prime above 2^20

/** Sums are kept as doubles and reduced often enough to stay exact (< 2^53). */
const REDUCE_EVERY = 1 << 16;

export class LocatorSums {
  private readonly sums: number[] = [];
  private s = 0;
  private t = 0;
  private inBlock = 0;

  update(data: Uint8Array): void {
    let i = 0;
    while (i < data.length) {
      const end = Math.min(data.length, i + (LOCATOR_BLOCK_BYTES - this.inBlock), i + REDUCE_EVERY);
      let s = this.s;
      let t = this.t;
      for (let k = i; k < end; k++) {
        s += data[k];
        t += s;
      }
      this.s = s % LOCATOR_MODULUS;
      this.t = t % LOCATOR_MODULUS;
      this.inBlock += end - i;
      i = end;
      if (this.inBlock === LOCATOR_BLOCK_BYTES) this.closeBlock();
    }
  }

  /** Base64 of uint32 LE pairs (S, T) per block. */
  digest(): string {
    if (this.inBlock > 0) this.closeBlock();
    const out = Buffer.alloc(this.sums.length * 4);
    this.sums.forEach((v, k) => out.writeUInt32LE(v, k * 4));
    return out.toString("base64");
  }

  private closeBlock(): void {
    this.sums.push(this.s, this.t);
    this.s = this.t = 0;
    this.inBlock = 0;
  }
}

/** Where a file's bytes differ from the recorded sums: exact offset when one byte per block changed. */
export interface LocatedDifference {
  blockStart: number;
  blockEnd: number;
  /** The offset of the changed byte, if the block's sums are consistent with a single change. */
  offset?: number;
}

export function locateDifferences(expected: string, actual: string, fileBytes: number): LocatedDifference[] {
  const a = Buffer.from(expected, "base64");
  const b = Buffer.from(actual, "base64");
  const out: LocatedDifference[] = [];
  const blocks = Math.max(a.length, b.length) / 8;
  for (let k = 0; k < blocks; k++) {
    const at = k * 8;
    if (at + 8 <= a.length && at + 8 <= b.length && a.compare(b, at, at + 8, at, at + 8) === 0) continue;
    const blockStart = k * LOCATOR_BLOCK_BYTES;
    const blockEnd = Math.min(fileBytes, blockStart + LOCATOR_BLOCK_BYTES);
    const diff: LocatedDifference = { blockStart, blockEnd };
    if (at + 8 <= a.length && at + 8 <= b.length) {
      const dS = mod(b.readUInt32LE(at) - a.readUInt32LE(at));
      const dT = mod(b.readUInt32LE(at + 4) - a.readUInt32LE(at + 4));
      if (dS !== 0) {
        const weight = mulMod(dT, powMod(dS, LOCATOR_MODULUS - 2));
        const offset = blockEnd - weight;
        if (weight >= 1 && offset >= blockStart) diff.offset = offset;
      }
    }
    out.push(diff);
  }
  return out;
}

const mod = (x: number): number => ((x % LOCATOR_MODULUS) + LOCATOR_MODULUS) % LOCATOR_MODULUS;
// P^2 < 2^41: products of two residues are exact in doubles.
const mulMod = (x: number, y: number): number => (x * y) % LOCATOR_MODULUS;

function powMod(base: number, exp: number): number {
  let result = 1;
  let b = base % LOCATOR_MODULUS;
  let e = exp;
  while (e > 0) {
    if (e & 1) result = mulMod(result, b);
    b = mulMod(b, b);
    e = Math.floor(e / 2);
  }
  return result;
}
