// One very long pre-tokenizer piece (a run of spaces): ours merges it with a heap, tiktoken's WASM
// core and gpt-tokenizer scan it quadratically. Moved here from a timed unit test.
//   npx tsx bench/tokenize/long-pieces.ts [--spaces 100000] [--anchors]   (--anchors: tens of seconds)
import { cpus, loadavg } from "node:os";
import { parseArgs } from "node:util";
import { encode as gptEncode } from "gpt-tokenizer/encoding/o200k_harmony";
import { createWasmTokenizer, getTokenizer } from "../../src/tokenize/o200k_harmony.js";

const { values } = parseArgs({ options: { spaces: { type: "string", default: "100000" }, anchors: { type: "boolean", default: false } } });
const text = " ".repeat(Number(values.spaces)) + "x";
const asText = { allowedSpecial: new Set<string>(), disallowedSpecial: new Set<string>() };

function time(name: string, encode: (t: string) => number[]): number[] {
  const started = performance.now();
  const ids = encode(text);
  console.log(`${name}: ${((performance.now() - started) / 1000).toFixed(2)} s, ${ids.length} tokens`);
  return ids;
}

const ours = getTokenizer();
ours.encodeText("warm up"); // build the rank table outside the timing
console.log(`${values.spaces} spaces + "x"; ${cpus().length} cores, load ${loadavg()[0].toFixed(1)}, Node ${process.version}`);
const expected = time("ours", (t) => ours.encodeText(t));
if (values.anchors) {
  const wasm = createWasmTokenizer();
  const same = (ids: number[]) =>
    ids.length === expected.length && ids.every((id, i) => id === expected[i]) ? "same ids" : "DIFFERENT ids";
  console.log(`  ${same(time("tiktoken WASM", (t) => wasm.encodeText(t)))}`);
  console.log(`  ${same(time("gpt-tokenizer", (t) => gptEncode(t, asText)))}`);
}
