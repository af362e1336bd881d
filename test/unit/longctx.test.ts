import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { missingExpectedAnswers } from "../../src/longctx/answers.js";
import { apportion, BAND_IDS, bandOf, planLongJobs } from "../../src/longctx/bands.js";
import { GENERATED_KINDS, makePayload } from "../../src/longctx/payloads.js";
import { longRecord } from "../../src/longctx/record.js";
import { keySpace, makeLongTask } from "../../src/longctx/tasks.js";
import { packDataset } from "../../src/pack/index.js";
import { verifyDataset } from "../../src/pack/verify.js";
import { renderDocuments } from "../../src/render/documents.js";
import { renderRecord } from "../../src/render/index.js";
import { getTokenizer } from "../../src/tokenize/o200k_harmony.js";
import { validateRecord } from "../../src/validate/index.js";

const work = mkdtempSync(join(tmpdir(), "datagen-longctx-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** A hand-written record whose answer is known: "the access code of project Orion is 4821-KX". */
function handWritten(final: string, expected: string[] | undefined, lastIsCall = false): unknown {
  const tool = {
    type: "function",
    function: { name: "read_log_file", parameters: { type: "object", properties: { path: { type: "string" } }, required: ["path"] } },
  };
  const messages: unknown[] = [
    { role: "user", content: 'What is the access code of project Orion in /var/log/app.log? If it is not there, say "not found".' },
    {
      role: "assistant",
      tool_calls: [{ id: "c1", type: "function", function: { name: "read_log_file", arguments: { path: "/var/log/app.log" } } }],
    },
    {
      role: "tool",
      tool_call_id: "c1",
      name: "read_log_file",
      content: "10:00 INFO start\n10:01 INFO note: the access code of project Orion is 4821-KX.\n10:02 INFO stop",
    },
    lastIsCall ? { role: "assistant", thinking: "The code is 4821-KX, but I never say it." } : { role: "assistant", content: final },
  ];
  return { id: "hand-1", persona: null, tools: [tool], messages, meta: expected ? { expected_answers: expected } : {} };
}

const codesOf = (value: unknown): string[] => {
  const r = validateRecord(value);
  return r.ok ? [] : r.issues.map((i) => i.code);
};

describe("the answer rule (meta.expected_answers)", () => {
  it("accepts a final that contains every expected answer, without regard to case or spacing", () => {
    expect(codesOf(handWritten("The access code is 4821-kx.", ["4821-KX"]))).toEqual([]);
    expect(codesOf(handWritten("Checked the log: NOT   FOUND anywhere.", ["not found"]))).toEqual([]);
    expect(codesOf(handWritten("Orion: 4821-KX; Basalt: 77", ["4821-kx", "77"]))).toEqual([]);
    expect(codesOf(handWritten("Whatever it says.", undefined))).toEqual([]);
  });

  it("rejects a final that misses one, with expected_answer_missing naming it", () => {
    const r = validateRecord(handWritten("The access code is 4821-KX.", ["4821-KX", "9913-QA"]));
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.issues).toEqual([
      { code: "expected_answer_missing", message: expect.stringContaining('"9913-QA"'), path: "/messages/3/content" },
    ]);
    expect(r.issues[0].message).not.toContain('"4821-KX"');
    expect(codesOf(handWritten("The code is 4821 KX.", ["4821-KX"]))).toEqual(["expected_answer_missing"]);
    expect(codesOf(handWritten("I could not find it.", ["not found"]))).toEqual(["expected_answer_missing"]);
  });

  it("rejects a record that ends without a final as missing both the final and the answer", () => {
    expect(codesOf(handWritten("", ["4821-KX"], true))).toEqual(["missing_final", "expected_answer_missing"]);
  });

  it("rejects malformed expected answers in the schema", () => {
    expect(codesOf(handWritten("x", []))).toContain("schema_violation");
    expect(codesOf(handWritten("x", ["  "]))).toContain("schema_violation");
  });

  it("missingExpectedAnswers lists exactly the absent ones", () => {
    expect(missingExpectedAnswers("Ünïcode ＡＢＣ and 17", ["üNÏCODE", "abc", "18", "17"])).toEqual(["18"]);
  });
});

describe("payload generators", () => {
  it("give the same text for the same seed, another for another seed, within the token budget", () => {
    const tokenizer = getTokenizer();
    for (const kind of GENERATED_KINDS) {
      const a = makePayload(kind, { seed: "s1", targetTokens: 2000 });
      const b = makePayload(kind, { seed: "s1", targetTokens: 2000 });
      const c = makePayload(kind, { seed: "s2", targetTokens: 2000 });
      expect(b.text, kind).toBe(a.text);
      expect(c.text, kind).not.toBe(a.text);
      expect(a.tokens, kind).toBe(tokenizer.encodeText(a.text).length);
      expect(a.tokens, kind).toBeLessThanOrEqual(2000);
      expect(a.tokens, kind).toBeGreaterThan(1900);
    }
  });

  it("reach a long target closely", () => {
    const p = makePayload("logs", { seed: "long", targetTokens: 60_000 });
    expect(p.tokens).toBeLessThanOrEqual(60_000);
    expect(p.tokens).toBeGreaterThan(59_500);
  });

  it("read a haystack folder: only regular UTF-8 text files inside it, deterministically", () => {
    const corpus = join(work, "corpus");
    mkdirSync(join(corpus, "sub"), { recursive: true });
    writeFileSync(join(corpus, "a.md"), "# Notes\nalpha line\n".repeat(200));
    writeFileSync(join(corpus, "sub", "b.txt"), "beta line\n".repeat(200));
    writeFileSync(join(corpus, "bin.dat"), Buffer.from([0x41, 0x00, 0x42]));
    writeFileSync(join(corpus, "latin1.txt"), Buffer.from([0x63, 0x61, 0x66, 0xe9]));
    writeFileSync(join(work, "secret.txt"), "outside the corpus\n");
    symlinkSync(join(work, "secret.txt"), join(corpus, "link.txt"));
    const one = makePayload("haystack", { seed: "h", targetTokens: 1500, haystack: corpus });
    const two = makePayload("haystack", { seed: "h", targetTokens: 1500, haystack: corpus });
    expect(two.text).toBe(one.text);
    expect([...(one.files ?? [])].sort()).toEqual(["a.md", join("sub", "b.txt")]);
    expect(one.text).not.toContain("outside the corpus");
    expect(one.tokens).toBeLessThanOrEqual(1500);
    expect(() => makePayload("haystack", { seed: "h", targetTokens: 500, haystack: join(work, "nope") })).toThrow(/--haystack .*nope/);
  });
});

describe("tasks", () => {
  it("single needle: the value is in the payload once, the question asks for it", () => {
    for (const kind of GENERATED_KINDS) {
      const t = makeLongTask({ task: "single_needle", payload: kind, targetTokens: 3000, seed: "n1", seedSpace: "train" });
      expect(t.expected_answers).toHaveLength(1);
      expect(t.payload.text.split(t.expected_answers[0]).length - 1, kind).toBe(1);
      expect(t.payload.tokens).toBeLessThanOrEqual(3000);
    }
  });

  it("multi needle: every asked value is there", () => {
    const t = makeLongTask({ task: "multi_needle", payload: "mailbox", targetTokens: 4000, seed: "m", seedSpace: "train" });
    expect(t.expected_answers.length).toBeGreaterThanOrEqual(2);
    for (const v of t.expected_answers) expect(t.payload.text).toContain(v);
  });

  it("not found: the asked key is absent, near misses are present", () => {
    for (const kind of GENERATED_KINDS) {
      const t = makeLongTask({ task: "not_found", payload: kind, targetTokens: 2500, seed: "nf", seedSpace: "eval" });
      expect(t.expected_answers).toEqual(["not found"]);
      const asked = /the ([a-z ]+) of project (\w+)/.exec(t.question);
      expect(asked).not.toBeNull();
      expect(t.payload.text).not.toContain(`the ${asked?.[1]} of project ${asked?.[2]} is`);
      expect(t.payload.text).toContain(`of project ${asked?.[2]} is`);
    }
  });

  it("variable tracking: resolving the VAR lines in reading order gives the expected value", () => {
    for (const kind of GENERATED_KINDS) {
      const t = makeLongTask({ task: "variable_tracking", payload: kind, targetTokens: 3000, seed: "vt", seedSpace: "train" });
      const vars = new Map<string, string>();
      for (const m of t.payload.text.matchAll(/VAR ([A-Z]{3}) = (\w+)/g)) vars.set(m[1], vars.get(m[2]) ?? m[2]);
      const asked = /does ([A-Z]{3}) end up/.exec(t.question)?.[1] as string;
      expect(vars.get(asked), kind).toBe(t.expected_answers[0]);
    }
  });

  it("aggregation: the answer is what a recount of the text gives", () => {
    for (let i = 0; i < 12; i++) {
      const t = makeLongTask({ task: "aggregation", payload: "logs", targetTokens: 3000, seed: `agg${i}`, seedSpace: "train" });
      const codes = [...t.payload.text.matchAll(/ ERROR \[\w+\] (E\d{4}) /g)].map((m) => m[1]);
      const counts = new Map<string, number>();
      for (const c of codes) counts.set(c, (counts.get(c) ?? 0) + 1);
      const asked = /code (E\d{4})/.exec(t.question)?.[1];
      if (asked) expect(t.expected_answers).toEqual([String(counts.get(asked))]);
      else expect(Math.max(...counts.values())).toBe(counts.get(t.expected_answers[0]));
    }
    const table = makeLongTask({ task: "aggregation", payload: "table", targetTokens: 3000, seed: "agg-sum-3", seedSpace: "train" });
    const region = /for the (\w+) region|from the (\w+) region|which region/.exec(table.question);
    expect(region).not.toBeNull();
    if (table.question.includes("total")) {
      const cents = table.payload.text
        .split("\n")
        .filter((l) => l.split(",")[2] === region?.[1])
        .reduce((s, l) => s + Math.round(Number(l.split(",")[6]) * 100), 0);
      expect(table.expected_answers).toEqual([`${Math.floor(cents / 100)}.${String(cents % 100).padStart(2, "0")}`]);
    }
  });

  it("train and eval seed spaces ask about disjoint keys", () => {
    const keysOf = (space: "train" | "eval") => {
      const keys = new Set<string>();
      for (let i = 0; i < 40; i++) {
        const t = makeLongTask({ task: "single_needle", payload: "logs", targetTokens: 300, seed: `k${i}`, seedSpace: space });
        const m = /the ([a-z ]+) of project (\w+)/.exec(t.question) as RegExpExecArray;
        keys.add(`${m[2]}/${m[1]}`);
      }
      return keys;
    };
    const train = keysOf("train");
    const evalKeys = keysOf("eval");
    for (const k of evalKeys) expect(train.has(k)).toBe(false);
    for (const k of evalKeys) expect(keySpace(k)).toBe("eval");
    expect(evalKeys.size).toBeGreaterThan(10);
  });
});

describe("length mix", () => {
  it("apportions by share and gives every band with a share at least one of five", () => {
    expect(
      [...apportion(5, { "4k-8k": 0.3, "8k-16k": 0.25, "16k-32k": 0.2, "32k-64k": 0.15, "64k-128k": 0.1 }).values()].every((n) => n >= 1),
    ).toBe(true);
    expect(Object.fromEntries(apportion(100, { "4k-8k": 3, "64k-128k": 1 }))).toEqual({ "4k-8k": 75, "64k-128k": 25 });
    const jobs = planLongJobs(10, { bands: Object.fromEntries(BAND_IDS.map((b) => [b, 1])), answerBudget: 2048 }, "seed");
    expect(new Set(jobs.map((j) => j.band)).size).toBe(5);
    expect(new Set(jobs.map((j) => j.task)).size).toBe(5);
    for (const j of jobs) expect(bandOf(j.targetTokens)).toBe(j.band);
    expect(Math.max(...jobs.map((j) => j.targetTokens))).toBeLessThanOrEqual(131_072 - 2048);
    expect(planLongJobs(10, { bands: { "8k-16k": 1 }, answerBudget: 512 }, "seed")).toEqual(
      planLongJobs(10, { bands: { "8k-16k": 1 }, answerBudget: 512 }, "seed"),
    );
  });
});

describe("a 100K+ conversation", () => {
  it("round-trips validate → render → pack at 131,072 → verify, and an overlong one is dropped and counted", async () => {
    const task = makeLongTask({ task: "multi_needle", payload: "codebase", targetTokens: 110_000, seed: "roundtrip", seedSpace: "train" });
    const record = longRecord({
      id: "long-1",
      persona: "lawful_good",
      task,
      band: "64k-128k",
      targetTokens: 112_000,
      callThinking: "I will read the repository.",
      answerThinking: "Found them.",
      final: `Here they are: ${task.expected_answers.join(", ")}.`,
    });
    const checked = validateRecord(JSON.parse(JSON.stringify(record)));
    expect(checked.ok).toBe(true);
    const rendered = renderRecord(record);
    expect(rendered.tokens.length).toBeGreaterThan(100_000);
    expect(rendered.tokens.length).toBeLessThan(131_072);
    const wrong = { ...record, id: "long-wrong", messages: [...record.messages.slice(0, -1), { role: "assistant", content: "not found" }] };
    expect(codesOf(wrong)).toEqual(["expected_answer_missing"]);
    // A second one past 131,072 tokens: the overlong policy (drop by default) counts it.
    const bigTask = makeLongTask({ task: "single_needle", payload: "table", targetTokens: 131_000, seed: "too-long", seedSpace: "train" });
    const big = longRecord({
      id: "long-2",
      persona: null,
      task: bigTask,
      band: "64k-128k",
      targetTokens: 131_000,
      callThinking: "Reading.",
      answerThinking: "Found it.",
      final: `It is ${bigTask.expected_answers[0]}. ${"More detail. ".repeat(200)}`,
    });
    expect(validateRecord(JSON.parse(JSON.stringify(big))).ok).toBe(true);
    const input = join(work, "long.jsonl");
    writeFileSync(input, `${JSON.stringify(record)}\n${JSON.stringify(wrong)}\n${JSON.stringify(big)}\n`);
    const out = join(work, "packed");
    const summary = await packDataset([input], { out, seqLen: 131_072 });
    expect(summary.documents).toBe(1);
    expect(summary.rejects).toBe(1);
    expect(summary.overlong).toEqual({ policy: "drop", count: 1 });
    const docs = readFileSync(join(out, "documents.jsonl"), "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { id: string; length: number });
    // pack's default --documents auto: one document, every analysis kept (docs/RENDERING.md, Documents).
    const packedDoc = renderDocuments(record, { dialect: "harmony", mask: "assistant", documents: "auto" }).documents;
    expect(docs.map((d) => [d.id, d.length])).toEqual(packedDoc.map((d) => [d.id, d.tokens.length]));
    const report = await verifyDataset(out, { source: true });
    expect(report.problems).toEqual([]);
    expect(report.ok).toBe(true);
  }, 120_000);
});
