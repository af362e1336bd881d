// CPU cost of the input layer's container step alone (no JSON parsing): items of each FILE through
// readSourceLines, MB of item JSON text handed on per CPU second. Usage: node --import tsx bench/ingest/split-only.ts FILE...
import { statSync } from "node:fs";
import { readSourceLines, type Container } from "../../src/ingest/source.js";

for (const file of process.argv.slice(2)) {
  const start = process.cpuUsage();
  let layers: Container[] = [];
  let items = 0;
  let bytes = 0;
  for await (const item of readSourceLines(file, { onContainer: (l) => (layers = l) })) {
    items++;
    if ("bytes" in item) bytes += item.bytes.length;
  }
  const used = process.cpuUsage(start);
  const seconds = (used.user + used.system) / 1e6;
  const mb = bytes / 1e6;
  console.log(
    `${file} (${layers.join(" + ")}, ${(statSync(file).size / 1e6).toFixed(1)} MB file): ${items} items, ${mb.toFixed(1)} MB of JSON, ${seconds.toFixed(2)} CPU s, ${(mb / seconds).toFixed(0)} MB/CPU-s`,
  );
}
