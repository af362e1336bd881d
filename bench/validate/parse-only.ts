// The floor for `datagen validate`: stream the same file through readJsonl (UTF-8 check + JSON.parse)
// and do nothing else. Usage: node --import tsx bench/validate/parse-only.ts FILE
import { readJsonl } from "../../src/core/jsonl.js";

let lines = 0;
for await (const item of readJsonl(process.argv[2] as string)) if (!("error" in item)) lines++;
console.log(`${lines} lines parsed`);
