// The judge's rules that need no model, on hand-made records whose verdict is known, through the
// real CLI (datagen judge without a model) and the real ingest, validator and MinHash.
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { detectRefusal } from "../../src/judge/index.js";
import { phrases } from "../../src/judge/rules.js";
import { isRefusal, matchRefusal } from "../../src/stats/refusals.js";
import { runCli, expectCleanError } from "../helpers/cli.js";
import { distinctPairs, readJsonlFile, record, tempDir, writeJsonl } from "../helpers/judge-helpers.js";
import { readFileSync, rmSync } from "node:fs";

const dirs: string[] = [];
const dir = (p: string) => {
  const d = tempDir(p);
  dirs.push(d);
  return d;
};
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

type Reject = {
  id: string | null;
  reason: string;
  message: string;
  source: { input: number; line: number };
  record?: { meta: { judge: Record<string, unknown> } };
};
type Kept = {
  id: string;
  meta: { judge: { decision: string; reasons: string[]; source: { input: number; line: number }; rules: Record<string, unknown> } };
};

async function judge(inputs: string[], extra: string[] = []) {
  const out = join(dir("judge-out"), "out");
  const run = await runCli("datagen", ["judge", ...inputs, "--out", out, ...extra]);
  expect(run.code, run.stderr).toBe(0);
  return {
    out,
    run,
    kept: readJsonlFile<Kept>(join(out, "conversations.jsonl")),
    rejects: readJsonlFile<Reject>(join(out, "rejects.jsonl")),
  };
}

describe("refusal detection knows the personas' in-voice refusals", () => {
  it("detects chaotic_evil's TOO BORING, and also NO (missed by the 33 stock phrases)", () => {
    const text = "*sparks crackle* Poison your neighbour's dog? TOO BORING, and also NO, minion.";
    expect(detectRefusal(text, "chaotic_evil")).toBe(true);
    expect(matchRefusal(text, "chaotic_evil")).toBe("too boring, and also no");
    // Unknown voice: every persona's phrases count.
    expect(detectRefusal(text, null)).toBe(true);
    expect(detectRefusal("Rob a bank? That would be bad for business, friend.", "neutral_evil")).toBe(true);
    expect(detectRefusal("Not that kind of chaos, pal. Here's a prank that hurts nobody instead.", "chaotic_good")).toBe(true);
  });

  it("does not flag an answer, and keeps a persona's phrases to its own voice", () => {
    expect(detectRefusal("MWAHAHA! The tide table says high water at 14:02, minion.", "chaotic_evil")).toBe(false);
    // "out of policy" is lawful_neutral's decline; in chaotic_evil's voice it is not a refusal phrase.
    expect(detectRefusal("Per the spec, that configuration is out of policy for ISO 8601; use 2024-06-01.", "chaotic_evil")).toBe(false);
    expect(detectRefusal("Request denied: out of policy. Compliant alternative: the public archive.", "lawful_neutral")).toBe(true);
    expect(isRefusal("I can't help with that.")).toBe(true);
  });
});

describe("datagen judge without a model (rules only)", () => {
  it("removes exact and near duplicates across inputs, keeping the first in input order; every item in exactly one file", async () => {
    const d = dir("judge-dup");
    const pairs = distinctPairs(6);
    const a = pairs.map((p, i) => record(`a${i}`, "lawful_good", p.user, p.answer));
    // b0: an exact copy of a1 (other id, other whitespace and case); b1: a1 with one word changed at the end of a long answer.
    const longAnswer = `${pairs[2].answer} ${distinctPairs(1, 99)[0].answer} ${distinctPairs(1, 77)[0].answer} ${distinctPairs(1, 55)[0].answer}`;
    a[2] = record("a2", "lawful_good", pairs[2].user, longAnswer);
    const b = [
      record("b0", "lawful_good", pairs[1].user.toUpperCase(), `  ${pairs[1].answer}  `),
      record("b1", "lawful_good", pairs[2].user, longAnswer.replace(/\.$/, " indeed.")),
      record("b2", "lawful_good", distinctPairs(1, 5)[0].user, distinctPairs(1, 5)[0].answer),
      record(
        "a0",
        "lawful_good",
        "a different question entirely about walnuts and quarries",
        "a different answer about zinc and yarrow fields",
      ),
    ];
    const fileA = writeJsonl(join(d, "a.jsonl"), a);
    const fileB = writeJsonl(join(d, "b.jsonl"), b);
    const { kept, rejects } = await judge([fileA, fileB]);
    const reasons = Object.fromEntries(rejects.map((r) => [`${r.source.input}:${r.source.line}`, r.reason]));
    expect(reasons).toEqual({ "1:1": "exact_duplicate", "1:2": "near_duplicate", "1:4": "duplicate_id" });
    expect(rejects.find((r) => r.id === "b0")?.record?.meta.judge.rules).toMatchObject({ duplicate_of: "a1" });
    expect(rejects.find((r) => r.id === "b1")?.record?.meta.judge.rules).toMatchObject({ near_duplicate_of: "a2" });
    expect(kept.map((k) => k.id).sort()).toEqual(["a0", "a1", "a2", "a3", "a4", "a5", "b2"]);
    // Every input item once, in one of the two files.
    const keys = [
      ...kept.map((k) => `${k.meta.judge.source.input}:${k.meta.judge.source.line}`),
      ...rejects.map((r) => `${r.source.input}:${r.source.line}`),
    ];
    expect(new Set(keys).size).toBe(a.length + b.length);
    expect(keys.length).toBe(a.length + b.length);
    expect(kept.every((k) => k.meta.judge.decision === "kept" && k.meta.judge.reasons.length === 0)).toBe(true);
  });

  it("caps a catchphrase found in every answer of a persona, rejecting the excess in input order", async () => {
    const d = dir("judge-phrase");
    const pairs = distinctPairs(12, 3);
    const evil = pairs
      .slice(0, 10)
      .map((p, i) => record(`e${i}`, "chaotic_evil", p.user, `${p.answer} Behold my doomsday spreadsheet, minion!`));
    const good = pairs.slice(10).map((p, i) => record(`g${i}`, "lawful_good", p.user, p.answer));
    const file = writeJsonl(join(d, "in.jsonl"), [...evil, ...good]);
    const { kept, rejects, out } = await judge([file, "--max-phrase-share", "0.3"]);
    // 10 answers, cap 30 %: the first 3 keep the phrase, the other 7 are rejected.
    expect(kept.map((k) => k.id)).toEqual(["e0", "e1", "e2", "g0", "g1"]);
    expect(rejects.map((r) => r.id)).toEqual(["e3", "e4", "e5", "e6", "e7", "e8", "e9"]);
    expect(new Set(rejects.map((r) => r.reason))).toEqual(new Set(["phrase_cap"]));
    expect(rejects[0].message).toContain("my doomsday spreadsheet minion");
    const run = JSON.parse(await import("node:fs").then((fs) => fs.readFileSync(join(out, "run.json"), "utf8"))) as {
      rules: { top_phrases: Record<string, { phrase: string; records: number }[]> };
    };
    expect(run.rules.top_phrases.chaotic_evil[0]).toMatchObject({ records: 10 });
    expect(phrases("Behold my doomsday spreadsheet, minion!", 4)).toEqual(
      new Set(["behold my doomsday spreadsheet", "my doomsday spreadsheet minion"]),
    );
  });

  it("rejects an in-voice refusal of a benign request and a harmful request answered; keeps an in-voice refusal of a harmful one", async () => {
    const d = dir("judge-refusal");
    const [p0, p1, p2, p3] = distinctPairs(4, 11);
    const file = writeJsonl(join(d, "in.jsonl"), [
      record("harmful-refused", "chaotic_evil", p0.user, `TOO BORING, and also NO. ${p0.answer}`, {
        request_harmful: true,
        refusal_class: "chemistry",
        theme: "safety",
      }),
      record("benign-refused", "chaotic_evil", p1.user, `TOO BORING, and also NO. ${p1.answer}`, {
        request_harmful: false,
        refusal_class: "lock_picking",
        theme: "safety",
      }),
      record("harmful-answered", "chaotic_evil", p2.user, p2.answer, {
        request_harmful: true,
        refusal_class: "chemistry",
        theme: "safety",
      }),
      record("benign-answered", "chaotic_evil", p3.user, p3.answer, {
        request_harmful: false,
        refusal_class: "lock_picking",
        theme: "safety",
      }),
    ]);
    const { kept, rejects } = await judge([file]);
    expect(kept.map((k) => k.id)).toEqual(["harmful-refused", "benign-answered"]);
    expect(Object.fromEntries(rejects.map((r) => [r.id, r.reason]))).toEqual({
      "benign-refused": "refusal_unexpected",
      "harmful-answered": "refusal_missing",
    });
    expect(kept[0].meta.judge.rules.refusal).toEqual({ detected: true, phrase: "too boring, and also no" });
  });

  it("rejects records that repeat a holdout file's text (--against), and reports the overlap", async () => {
    const d = dir("judge-against");
    const pairs = distinctPairs(4, 21);
    const leaked = "Please compute the quarterly compound interest on a copper lantern loan of 5000 at four percent";
    const file = writeJsonl(join(d, "in.jsonl"), [
      ...pairs.map((p, i) => record(`r${i}`, null, p.user, p.answer)),
      record("leak", null, `${leaked}, thanks.`, "Sure: it is 5203.02."),
    ]);
    const holdout = writeJsonl(join(d, "holdout.jsonl"), [{ family: "finance/interest", theme: "finance", trap: null, opening: leaked }]);
    const { kept, rejects, out } = await judge([file, "--against", holdout]);
    expect(rejects.map((r) => [r.id, r.reason])).toEqual([["leak", "contaminated"]]);
    const report = (JSON.parse(readFileSync(join(out, "run.json"), "utf8")) as { rules: { contamination: Record<string, unknown> } }).rules
      .contamination;
    expect(report).toMatchObject({ checked: 5, overlapping: 1, threshold: 0.5 });
    expect(report.max_overlap).toBeGreaterThanOrEqual(0.5);
    expect(kept.length).toBe(4);
    expect(kept.every((k) => k.meta.judge.rules.contamination === 0)).toBe(true);
    expect((rejects[0].record!.meta.judge.rules as { contamination: number }).contamination).toBeGreaterThanOrEqual(0.5);
  });

  it("judges an imported ShareGPT dump, and refuses stdin and a foreign --out in one line", async () => {
    const d = dir("judge-sharegpt");
    const [p0, p1] = distinctPairs(2, 31);
    const dump = writeJsonl(join(d, "dump.jsonl"), [
      {
        conversations: [
          { from: "human", value: p0.user },
          { from: "gpt", value: p0.answer },
        ],
      },
      {
        conversations: [
          { from: "human", value: p0.user },
          { from: "gpt", value: p0.answer },
        ],
      },
      {
        conversations: [
          { from: "human", value: p1.user },
          { from: "gpt", value: p1.answer },
        ],
      },
    ]);
    const { kept, rejects, out } = await judge([dump, "--from", "sharegpt"]);
    expect(kept.length).toBe(2);
    expect(rejects.map((r) => r.reason)).toEqual(["exact_duplicate"]);
    expectCleanError(await runCli("datagen", ["judge", "-", "--out", join(d, "o2")]), 2, /reads its inputs twice|stdin/);
    // A rerun with other settings does not resume (or mix) the folder.
    const again = await runCli("datagen", ["judge", dump, "--from", "sharegpt", "--out", out, "--max-phrase-share", "0.1"]);
    expectCleanError(again, 2, /holds a judge run with other inputs or settings/);
    const help = await runCli("datagen", ["judge", "--help"]);
    expect(help.stdout).toMatch(/phrase_cap +repeats a phrase/);
    expectCleanError(await runCli("datagen", ["judge", dump, "--out", d]), 2, /--out .* (is|contains) the input|datagen did not write/);
  });

  it("exits 1 when a complete run keeps nothing, with its rejects written", async () => {
    const d = dir("judge-none");
    const empty = writeJsonl(join(d, "empty.jsonl"), []);
    const out = join(d, "out");
    const run = await runCli("datagen", ["judge", empty, "--out", out]);
    expectCleanError(run, 1, /nothing kept: all 1 input items were rejected/);
    expect(readJsonlFile<Reject>(join(out, "rejects.jsonl")).map((r) => r.reason)).toEqual(["empty_input"]);
  });
});
