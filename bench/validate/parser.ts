// CPU cost of the strict parser (src/core/json.ts) next to what it replaced (UTF-8 decode +
// JSON.parse), in one process, alternating, on the first 20,000 lines of FILE: medians of 15 rounds;
// also on the same lines with one number to keep as written (1.0) each, and with integer-like keys
// written first in meta (valid, but read token by token: only that reader sees the written order).
// Usage: node --import tsx bench/validate/parser.ts FILE
import { readFileSync } from "node:fs";
import { parseJsonLine } from "../../src/core/jsonl.js";

const data = readFileSync(process.argv[2] as string);
const lines: Buffer[] = [];
for (let start = 0; lines.length < 20_000; ) {
  const end = data.indexOf(10, start);
  if (end < 0) break;
  lines.push(data.subarray(start, end));
  start = end + 1;
}
// The same lines with one number to keep each (the first `"seed":N` written `N.0`), if they have one.
const kept = lines.map((line) => Buffer.from(line.toString("utf8").replace(/"seed":(\d+)/, '"seed":$1.0')));
const indexed = lines.map((line) => Buffer.from(line.toString("utf8").replace('"meta":{', '"meta":{"0":"a","1":"b",')));
const utf8 = new TextDecoder("utf-8", { fatal: true });
const sides: [string, Buffer[], (b: Buffer) => unknown][] = [
  ["decode + JSON.parse", lines, (b) => JSON.parse(utf8.decode(b))],
  ["parseJsonLine", lines, (b) => parseJsonLine(b)],
  ["  same, a 1.0 a line", kept, (b) => parseJsonLine(b)],
  ['  same, keys "0","1"', indexed, (b) => parseJsonLine(b)],
];
const cpu: Record<string, number[]> = {};
for (let round = 0; round < 15; round++) {
  for (const [name, input, parse] of sides) {
    const start = process.cpuUsage();
    for (const line of input) parse(line);
    const used = process.cpuUsage(start);
    (cpu[name] ??= []).push((used.user + used.system) / 1000);
  }
}
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const base = median(cpu[sides[0][0]]);
for (const [name] of sides) {
  const ms = median(cpu[name]);
  console.log(
    `${name.padEnd(20)} ${ms.toFixed(0)} ms CPU for ${lines.length} lines (${((1000 * ms) / lines.length).toFixed(1)} µs/line, ${((100 * ms) / base).toFixed(0)} %)`,
  );
}
