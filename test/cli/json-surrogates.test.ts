// A lone UTF-16 surrogate is no text: the one strict parser (src/core/json.ts) rejects it as
// lone_surrogate, so validate, pack (and every command reading JSONL) refuse the record instead of
// training U+FFFD. Paired escapes (an emoji written \ud83d\ude00) and an escaped backslash before
// "ud800" stay valid.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parseJsonText } from "../../src/core/json.js";
import { parseJsonLine } from "../../src/core/jsonl.js";
import { REASONS } from "../../src/validate/reasons.js";
import { runCli } from "../helpers/cli.js";

const dir = mkdtempSync(join(tmpdir(), "json-surrogates-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const code = (text: string) => {
  const r = parseJsonText(text);
  return "error" in r ? `${r.error.code} ${r.error.path}` : "ok";
};

describe("lone surrogates", () => {
  it("escapes: a high without its low, a low alone, two highs, a key; pairs and escaped backslashes pass", () => {
    expect(code(String.raw`{"a":"\ud800"}`)).toBe("lone_surrogate /a");
    expect(code(String.raw`{"a":"x\uDBFFy"}`)).toBe("lone_surrogate /a");
    expect(code(String.raw`{"a":["ok","\udc00"]}`)).toBe("lone_surrogate /a/1");
    expect(code(String.raw`{"a":"\ud800\ud800"}`)).toBe("lone_surrogate /a");
    expect(code(String.raw`{"k\ud800":1}`)).toBe("lone_surrogate /k\ud800");
    expect(code(String.raw`"\udfff"`)).toBe("lone_surrogate ");
    expect(code(String.raw`{"a":"\ud83d\ude00","b":"\uD83D\uDE00"}`)).toBe("ok");
    expect(code(String.raw`{"a":"\\ud800"}`)).toBe("ok"); // a backslash, then the letters "ud800"
    expect(code(String.raw`{"a":"\u00e9\u4e2d"}`)).toBe("ok");
  });

  it("raw lone surrogates in a JavaScript string are caught too; a UTF-8 line cannot hold one", () => {
    expect(code(`{"a":"x\ud800"}`)).toBe("lone_surrogate /a");
    expect(code(`{"a":"😀"}`)).toBe("ok");
    const line = parseJsonLine(Buffer.from(String.raw`{"id":"x","t":"\ud800"}`));
    expect("error" in line && line.error.code).toBe("lone_surrogate");
    expect(REASONS.lone_surrogate.summary).toMatch(/U\+FFFD/);
  });

  it("datagen validate exits 1 with the reason; pack rejects the record with it", async () => {
    const examples = readFileSync(join(import.meta.dirname, "..", "..", "data", "examples", "conversations.jsonl"), "utf8").split("\n")[0];
    const bad = examples.replace(/"content":"([^"]*)"/, String.raw`"content":"$1 \ud800"`);
    expect(bad).not.toBe(examples);
    const file = join(dir, "in.jsonl");
    writeFileSync(file, `${examples}\n${bad}\n`);
    const validate = await runCli("datagen", ["validate", file]);
    expect(validate.code, validate.stderr).toBe(1);
    expect(validate.stdout + validate.stderr).toMatch(
      /in\.jsonl:2 .*lone_surrogate a string holds a lone UTF-16 surrogate \(at \/messages\/\d+\/content\)/,
    );
    const out = join(dir, "packed");
    const pack = await runCli("datagen", ["pack", file, "--out", out, "--seq-len", "4096", "--json"]);
    expect(pack.code, pack.stderr).toBe(0);
    expect(JSON.parse(pack.stdout)).toMatchObject({ records: 2, documents: 1, rejects: 1 });
    expect(readFileSync(join(out, "rejects.jsonl"), "utf8")).toMatch(/"line":2,.*"code":"lone_surrogate"/);
  }, 60_000);
});
