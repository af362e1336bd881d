// Friction in the README tour's generate: the first ETA read about --concurrency times too long
// (48 min shown for an 11.6 min run at --concurrency 4), because the first conversations all finish
// together and the rate was taken from the first one.
import { describe, expect, it } from "vitest";
import { etaSeconds, progressLine } from "../../src/generate/progress.js";

describe("generate ETA", () => {
  it("gives no estimate until a whole first wave of conversations has finished", () => {
    // 4 conversations at once, each taking 15 s: the first finishes at 15 s.
    expect(etaSeconds(1, 179, 15, 4)).toBeNull();
    expect(etaSeconds(3, 177, 15.5, 4)).toBeNull();
    expect(progressLine({ done: 1, target: 180, rejected: 0, tokensPerSecond: 70, etaSeconds: etaSeconds(1, 179, 15, 4) })).toContain(
      "ETA ?",
    );
  });

  it("estimates from the records finished once a wave is done (180 records, 4 at a time, 15 s each: 11.25 min in all)", () => {
    const eta = etaSeconds(4, 176, 15, 4)!;
    expect(eta + 15).toBeCloseTo((180 * 15) / 4, 6);
    expect(etaSeconds(1, 9, 2, 1)).toBe(18);
  });
});
