// The floor of reading one input through a path of the input layer, nothing else: either
// readJsonl (the old direct path: split, UTF-8 check, parse) or readSource (container detection,
// decompression, split, parse, shape adapter). Prints the items read.
// Usage: node --import tsx bench/ingest/read-only.ts readJsonl|readSource FILE
import { readJsonl } from "../../src/core/jsonl.js";
import { readSource } from "../../src/ingest/source.js";

const [how, file] = process.argv.slice(2) as [string, string];
let items = 0;
let errors = 0;
const source = how === "readJsonl" ? readJsonl(file) : readSource(file);
for await (const item of source) {
  if ("error" in item) errors++;
  else items++;
}
console.log(`${how}: ${items} items, ${errors} errors`);
