// Writes a large conversation JSONL for measuring `datagen validate` (not part of the test suite).
// Records are the examples in data/examples/conversations.jsonl with unique ids and varied text;
// one line in every 10,000 is made invalid (unknown tool) so the error path runs too.
// Usage: node --import tsx bench/validate/make-big-jsonl.ts [OUT] [GIB]   (default /tmp/datagen-validate-1gb.jsonl, 1)
import { createWriteStream, readFileSync, renameSync } from "node:fs";
import { once } from "node:events";

const out = process.argv[2] ?? "/tmp/datagen-validate-1gb.jsonl";
const targetBytes = Number(process.argv[3] ?? 1) * 2 ** 30;
const examples = readFileSync("data/examples/conversations.jsonl", "utf8")
  .trimEnd()
  .split("\n")
  .map((l) => JSON.parse(l));

function variant(n: number): string {
  const record = structuredClone(examples[n % examples.length]);
  record.id = `${record.id}-${n}`;
  record.meta.seed = n;
  for (const message of record.messages) {
    if (message.role === "user") message.content = `${message.content} (request ${n})`;
  }
  if (n % 10_000 === 9_999) {
    const call = record.messages.find((m: { tool_calls?: unknown[] }) => m.tool_calls)?.tool_calls[0];
    if (call) call.function.name = "not_declared";
  }
  return JSON.stringify(record) + "\n";
}

const stream = createWriteStream(out + ".tmp");
let written = 0;
let n = 0;
while (written < targetBytes) {
  const line = variant(n++);
  written += Buffer.byteLength(line);
  if (!stream.write(line)) await once(stream, "drain");
}
stream.end();
await once(stream, "finish");
renameSync(out + ".tmp", out);
console.log(`wrote ${n} records, ${written} bytes to ${out}`);
