// The input layer's own cost on plain JSONL, in one process so the machine's load hits both sides
// alike: readJsonl (split + parse) against readSource (detection, split, parse, shape adapter with
// --from auto, and with --from native), alternated for ROUNDS rounds; CPU seconds per pass.
// Usage: node --import tsx bench/ingest/read-ab.ts FILE [ROUNDS]
import { readJsonl } from "../../src/core/jsonl.js";
import { readSource } from "../../src/ingest/source.js";

const [file, rounds = "4"] = process.argv.slice(2) as [string, string?];
const ways: Record<string, () => AsyncIterable<unknown>> = {
  readJsonl: () => readJsonl(file),
  "readSource (auto)": () => readSource(file),
  "readSource (native)": () => readSource(file, { from: "native" }),
};
const seconds: Record<string, number[]> = {};
for (let r = 0; r < Number(rounds); r++) {
  for (const [name, read] of Object.entries(ways)) {
    const start = process.cpuUsage();
    for await (const _ of read());
    const used = process.cpuUsage(start);
    (seconds[name] ??= []).push((used.user + used.system) / 1e6);
  }
}
for (const [name, s] of Object.entries(seconds))
  console.log(`${name}: ${s.map((x) => x.toFixed(2)).join(" ")} CPU s (min ${Math.min(...s).toFixed(2)})`);
