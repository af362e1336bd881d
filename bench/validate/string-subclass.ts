// Why src/core/json.ts must never declare `class … extends String`: V8 (Node 20) then drops its
// fast paths for string built-ins in the whole process, even if the class is never used. Times the
// parser's colon pass (indexOf(":") plus charCodeAt checks) over the first 30,000 lines of FILE in
// two fresh processes, alternating: one that declares such a class, one that does not (the anchor).
// Usage: node --import tsx bench/validate/string-subclass.ts FILE [ROUNDS]
import { spawnSync } from "node:child_process";

const [file, roundsArg] = process.argv.slice(2);
if (!file) throw new Error("usage: string-subclass.ts FILE [ROUNDS]");

// The child: decode lines one by one (as the CLI does), then the best of 9 passes, in ms.
const child = (declare: boolean): string => `
${declare ? "class Unused extends String {}" : ""}
const data = require("node:fs").readFileSync(${JSON.stringify(file)});
const utf8 = new TextDecoder();
const lines = [];
for (let start = 0; lines.length < 30000; ) {
  const end = data.indexOf(10, start);
  if (end < 0) break;
  lines.push(utf8.decode(data.subarray(start, end)));
  start = end + 1;
}
function keys(text) {
  let n = 0;
  for (let at = text.indexOf(":"); at !== -1; at = text.indexOf(":", at + 1)) {
    if (text.charCodeAt(at - 1) !== 34 || text.charCodeAt(at - 2) === 92) continue;
    n++;
  }
  return n;
}
let best = Infinity;
for (let r = 0; r < 9; r++) {
  const t = performance.now();
  let n = 0;
  for (const line of lines) n += keys(line);
  best = Math.min(best, performance.now() - t);
}
console.log(best.toFixed(1));`;

const run = (declare: boolean): number => {
  const r = spawnSync(process.execPath, ["-e", child(declare)], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(r.stderr);
  return Number(r.stdout.trim());
};
for (let round = 1; round <= Number(roundsArg ?? 3); round++) {
  const without = run(false);
  const withClass = run(true);
  console.log(JSON.stringify({ round, withoutMs: without, withSubclassMs: withClass, ratio: Number((withClass / without).toFixed(2)) }));
}
