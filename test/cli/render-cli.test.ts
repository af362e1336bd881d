// `datagen render`: text, --tokens, --json, --id, bad lines, usage errors — through the real CLI.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { ConversationRecord } from "../../src/core/record.js";
import { renderRecord } from "../../src/render/index.js";
import { runCli } from "../helpers/cli.js";

const ROOT = join(import.meta.dirname, "..", "..");
const RECORDS = join(ROOT, "test", "fixtures", "render", "records.jsonl");
const scratch = mkdtempSync(join(tmpdir(), "render-cli-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const datagen = (...args: string[]) => runCli("datagen", args, { cwd: ROOT });

const docsRecord = {
  id: "docs",
  persona: null,
  messages: [
    { role: "user", content: "What is 2 + 2?" },
    { role: "assistant", content: "2 + 2 = 4." },
  ],
  meta: { date: "2025-06-28" },
};

describe("datagen render", () => {
  it("--json prints one line per valid record with the renderer's ids and mask; bad lines to stderr, exit 1", async () => {
    const { code, stdout, stderr } = await datagen("render", RECORDS, "--json", "--mask", "last-turn");
    expect(code).toBe(1);
    const lines = stdout
      .trimEnd()
      .split("\n")
      .map((line) => JSON.parse(line) as { id: string; tokens: number[]; mask: number[] });
    // 10 valid records; --documents auto (the default) cuts multi-turn-analysis (analysis in turn 1) into its 2 turns.
    expect(lines.length).toBe(11);
    expect(lines.map((l) => l.id)).not.toContain("ongoing-tool-call");
    expect(lines.map((l) => l.id).filter((id) => id.startsWith("multi-turn-analysis"))).toEqual([
      "multi-turn-analysis#1",
      "multi-turn-analysis#2",
    ]);
    const docs = lines.find((l) => l.id === "docs-2plus2")!;
    expect(docs.tokens.slice(-14)).toEqual([200006, 173781, 200005, 17196, 200008, 17, 659, 220, 17, 314, 220, 19, 13, 200002]);
    expect(docs.mask.slice(-14)).toEqual(new Array(14).fill(1));
    expect(docs.mask.length).toBe(docs.tokens.length);
    expect(stderr).toMatch(/records\.jsonl:7 ongoing-tool-call missing_final /);
  });

  it("--documents: the issue's single-turn record keeps its analysis under auto; conversation drops it and says so on stderr", async () => {
    const file = join(scratch, "think.jsonl");
    const record = {
      id: "think",
      persona: null,
      messages: [
        { role: "user", content: "What is 2+2?" },
        { role: "assistant", thinking: "Simple arithmetic: 4.", content: "4." },
      ],
    };
    writeFileSync(file, `${JSON.stringify(record)}\n`);
    const auto = await datagen("render", file);
    expect(auto.code).toBe(0);
    expect(auto.stdout).toContain("<|channel|>analysis<|message|>Simple arithmetic: 4.<|end|>");
    expect(auto.stdout).toContain("[harmony, mask assistant, documents auto]");
    expect(auto.stderr).toBe("");
    const whole = await datagen("render", file, "--documents", "conversation", "--json");
    expect(whole.code).toBe(0);
    expect(whole.stdout.trimEnd().split("\n").length).toBe(1);
    expect(whole.stderr).toMatch(/^render: --documents conversation leaves 12 analysis tokens of 1 record untrained/);
    const bad = await datagen("render", file, "--documents", "sometimes");
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("Allowed choices are auto, turns, conversation");
  });

  it("prints the harmony text of one record with --id; --brackets marks the special tokens", async () => {
    const file = join(scratch, "one.jsonl");
    writeFileSync(file, `${JSON.stringify(docsRecord)}\n`);
    const plain = await datagen("render", file, "--id", "docs");
    expect(plain.code).toBe(0);
    expect(plain.stdout).toContain(`### docs (${file}:1)`);
    expect(plain.stdout).toContain(
      "<|start|>user<|message|>What is 2 + 2?<|end|><|start|>assistant<|channel|>final<|message|>2 + 2 = 4.<|return|>\n",
    );
    const marked = await datagen("render", file, "--brackets");
    expect(marked.stdout).toContain("⟦<|start|>⟧assistant⟦<|channel|>⟧final⟦<|message|>⟧2 + 2 = 4.⟦<|return|>⟧");
  });

  it("--tokens prints position, id, mask and token text for every token", async () => {
    const { code, stdout } = await datagen("render", RECORDS, "--id", "injection-user", "--tokens");
    expect(code).toBe(0);
    const rows = stdout.split("\n").filter((line) => /^\s*\d+\s+\d+\s+[01]\s+/.test(line));
    const fixture = readFileSync(RECORDS, "utf8")
      .split("\n")
      .filter(Boolean)
      .map((l) => JSON.parse(l) as ConversationRecord);
    const record = renderRecord(fixture.find((r) => r.id === "injection-user")!);
    expect(rows.length).toBe(record.tokens.length);
    rows.forEach((row, pos) => {
      const [p, id, bit] = row.trim().split(/\s+/);
      expect([Number(p), Number(id), Number(bit)]).toEqual([pos, record.tokens[pos], record.mask[pos]]);
    });
    expect(stdout).toMatch(/\s200006\s+0\s+<\|start\|>\n/); // a special token, by name
    expect(stdout).toMatch(/\s5236\s+0\s+"start"\n/); // "<|start|>" inside content: quoted ordinary tokens
    expect(stdout).not.toContain("\x1b["); // no colour when not a terminal
  });

  it("reports an unknown --id, a missing file and bad flags clearly", async () => {
    const missingId = await datagen("render", RECORDS, "--id", "nope");
    expect(missingId.code).toBe(1);
    expect(missingId.stderr).toMatch(/id_not_found no record with id "nope"/);
    const missingFile = await datagen("render", "no/such.jsonl");
    expect(missingFile.code).toBe(2);
    expect(missingFile.stderr).toContain("no such file: no/such.jsonl");
    const badMode = await datagen("render", RECORDS, "--mask", "all");
    expect(badMode.code).toBe(2);
    expect(badMode.stderr).toContain("Allowed choices are assistant, last-turn, final");
  });

  it("renders the valid records around malformed lines", async () => {
    const file = join(scratch, "mixed.jsonl");
    writeFileSync(file, `{"id": "broken",\n${JSON.stringify(docsRecord)}\n${JSON.stringify({ ...docsRecord, id: "x", messages: [] })}\n`);
    const { code, stdout, stderr } = await datagen("render", file, "--json");
    expect(code).toBe(1);
    expect(
      stdout
        .trimEnd()
        .split("\n")
        .map((l) => JSON.parse(l).id),
    ).toEqual(["docs"]);
    expect(stderr).toMatch(new RegExp(`${file.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}:1 - invalid_json `));
    expect(stderr).toMatch(/mixed\.jsonl:3 x \w+ /);
  });

  it("stops quietly with status 141 when the reader closes the pipe (render … | head)", async () => {
    const file = join(scratch, "many.jsonl");
    // ~1 MB of output: far more than a pipe holds, so the write after the close must fail.
    writeFileSync(file, Array.from({ length: 400 }, (_, i) => JSON.stringify({ ...docsRecord, id: `r${i}` })).join("\n"));
    let sawOutput = false;
    const { code, stderr } = await runCli("datagen", ["render", file, "--tokens"], {
      whileRunning: (child) =>
        child.stdout!.once("data", () => {
          sawOutput = true;
          child.stdout!.destroy();
        }),
    });
    expect(sawOutput).toBe(true);
    expect(stderr).toBe("");
    expect(code).toBe(141);
  });

  it("--help shows examples and the mask modes", async () => {
    const { code, stdout } = await datagen("render", "--help");
    expect(code).toBe(0);
    expect(stdout).toContain("Examples:");
    expect(stdout).toContain("last-turn");
  });
});
