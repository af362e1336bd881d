// Progress on stderr as validate, pack and stats print it (src/cli/progress.ts), on a fake clock.
import { describe, expect, it } from "vitest";
import { StderrProgress } from "../../src/cli/progress.js";

function fakeStream(isTTY: boolean) {
  const writes: string[] = [];
  return { isTTY, writes, write: (text: string) => writes.push(text) };
}

describe("StderrProgress", () => {
  it("writes plain lines at most every interval when stderr is not a terminal, none in the first interval", () => {
    let clock = 1000;
    const stream = fakeStream(false);
    const progress = new StderrProgress(stream, 5000, () => clock);
    let built = 0;
    const line = (n: number) => () => (built++, `validate: ${n} records`);
    for (let n = 1; n <= 120; n++) {
      clock += 100; // 12 s of reports, one every 100 ms
      progress.report(line(n));
    }
    progress.done();
    expect(stream.writes).toEqual(["validate: 50 records\n", "validate: 100 records\n"]);
    expect(built).toBe(2); // lines are only built when written
  });

  it("rewrites one line in place on a terminal and clears it when done", () => {
    let clock = 0;
    const stream = fakeStream(true);
    const progress = new StderrProgress(stream, 5000, () => clock);
    progress.done();
    expect(stream.writes).toEqual([]); // nothing shown, nothing to clear
    clock = 300;
    progress.report(() => "pack: 10% read");
    clock = 350;
    progress.report(() => "too soon");
    clock = 600;
    progress.report(() => "pack: 20% read");
    progress.done();
    progress.done();
    expect(stream.writes).toEqual(["\rpack: 10% read\x1b[K", "\rpack: 20% read\x1b[K", "\r\x1b[K"]);
  });
});
