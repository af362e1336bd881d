// Writes test/fixtures/tokenize/python-tiktoken.json: edge-case texts and the ids Python
// tiktoken's o200k_harmony gives them (encode_ordinary: special-token text is text).
//   npx tsx bench/tokenize/make-fixture.ts
import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { mulberry32 } from "../../src/core/prng.js";
import { mixedText } from "../../test/fixtures/tokenize/mixed-text.js";
import { pythonTiktokenEnv } from "./python-env.js";

const EDGE_CASES = [
  "2 + 2 = 4.",
  "assistant",
  "commentary",
  " ",
  "",
  "<|start|>assistant<|channel|>final<|message|>",
  "<|endoftext|>",
  "I'M WE'LL they'Re it'S 'd 'LL",
  " I'ſ",
  "IT'ſ x",
  "a  \u0085",
  "x \u0085\u0085 y",
  "a \uFEFF\uFEFFb",
  "\uFEFFhello",
  "x\u180E y",
  "\r\n\r\n  \t\t  \n",
  "trailing   ",
  "   ",
  "\n\n\n\n\n\n",
  "1234567890123456789",
  "٣٤٥٦ Ⅻ ½ ²³ １２３",
  "👨‍👩‍👧‍👦 👍🏽 🏳️‍🌈 🇳🇴",
  "e\u0301\u0301 \u0301x",
  "ǅemal ʰello 々",
  "lone \uD800 surrogate \uDC00 end\uDBFF",
  "Straße ĳ ﬀ ΣΟΦΙΑΣ ς",
  "नमस्ते क्षत्रिय",
  "สวัสดีชาวโลก",
  "안녕하세요",
  "مرحبا بالعالم",
  "שלום עִבְרִית",
];

function randomCases(): string[] {
  const rng = mulberry32(11);
  const pool = Array.from("aZ'sStT ɐǅʰ々\u0301\u090309٣Ⅻ½\t\r\n\u0085\u00a0\u3000\uFEFF/!?.,ſ你ก한é😀👍🏽\u200d");
  return Array.from({ length: 40 }, () =>
    Array.from({ length: 1 + Math.floor(rng() * 30) }, () => pool[Math.floor(rng() * pool.length)]).join(""),
  );
}

const corpus = mixedText(100_000, 4242);
const texts = [...EDGE_CASES, ...randomCases(), corpus];
const output = execFileSync("python3", [new URL("./python_tiktoken.py", import.meta.url).pathname, "ids"], {
  input: JSON.stringify(texts),
  env: pythonTiktokenEnv(),
  maxBuffer: 1 << 28,
});
const target = new URL("../../test/fixtures/tokenize/python-tiktoken.json", import.meta.url);
writeFileSync(target, output);
console.log(`wrote ${target.pathname}: ${texts.length} cases`);
