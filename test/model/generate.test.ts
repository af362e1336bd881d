// `datagen generate` for real: node-llama-cpp on the smoke model, CPU, one thread.
// One 9-persona x 2-record output is made by three runs of the CLI (Ctrl-C, then kill -9 plus a
// hand-written half line, then a resume to the end) and every assertion about records is made on it.
import { appendFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Ajv2020 } from "ajv/dist/2020.js";
import formatsModule from "ajv-formats";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { callArguments, PERSONAS, type ConversationRecord } from "../../src/core/record.js";
import { projectRoot } from "../../src/core/project.js";
import { generateDataset, loadGenerateConfig } from "../../src/generate/index.js";
import { recordSeed } from "../../src/generate/seed.js";
import { ensureSmokeModel, GENERATE_STOP_BOOST } from "../../src/model/smoke.js";
import { validateRecord } from "../../src/validate/index.js";
import { runCli, type CliRun } from "../helpers/cli.js";

const root = projectRoot();
const addFormats = formatsModule.default;

type RunResult = CliRun;

/** Runs the CLI; `interrupt` sends a signal once the output file has more than `afterLines` lines. */
function datagen(args: string[], interrupt?: { signal: NodeJS.Signals; file: string; afterLines: number }): Promise<RunResult> {
  return runCli("datagen", args, {
    cwd: root,
    when: interrupt && {
      ready: () => lineCount(interrupt.file) > interrupt.afterLines,
      act: (child) => void child.kill(interrupt.signal),
      everyMs: 100,
    },
  });
}

const made: string[] = [];
/** A fresh temp folder, removed after all tests of this file. */
function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  made.push(dir);
  return dir;
}
afterAll(() => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});

const lineCount = (file: string): number => (existsSync(file) ? readFileSync(file, "utf8").split("\n").length - 1 : 0);
const readLines = (file: string): unknown[] =>
  readFileSync(file, "utf8")
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l) as unknown);

describe("datagen generate on the smoke model", () => {
  const out = tempDir("datagen-generate-");
  const conversations = join(out, "conversations.jsonl");
  const args = ["generate", "--persona", "all", "--count", "2", "--out", out, "--concurrency", "4", "--threads", "1", "--gpu", "cpu"];
  const runs: RunResult[] = [];
  let records: ConversationRecord[] = [];
  let rejects: { id: string; reason: string }[] = [];

  beforeAll(async () => {
    await ensureSmokeModel({ stopBoost: GENERATE_STOP_BOOST });
    // 1. Ctrl-C after the first record: a clean stop with a summary.
    runs.push(await datagen(args, { signal: "SIGINT", file: conversations, afterLines: 0 }));
    // 2. kill -9 after one more record, then a half-written line appended by hand.
    const before = lineCount(conversations);
    runs.push(await datagen(args, { signal: "SIGKILL", file: conversations, afterLines: before }));
    appendFileSync(conversations, '{"id":"lawful_good-000001","persona":"lawful_go');
    // 3. The same command resumes and completes.
    runs.push(await datagen(args));
    records = readLines(conversations) as ConversationRecord[];
    rejects = readLines(join(out, "rejects.jsonl")) as { id: string; reason: string }[];
  }, 900_000);

  it("stops cleanly on SIGINT with a summary and an interrupted run.json", () => {
    expect(runs[0].code, runs[0].stderr).toBe(130);
    expect(runs[0].stdout).toMatch(/^interrupted: \d+\/20 records/);
    expect(runs[0].stderr).toContain("every generated text is random noise");
    expect(runs[0].stderr).toContain("--model");
  });

  it("survives kill -9: the half-written line is dropped and the rerun completes", () => {
    expect(runs[1].signal).toBe("SIGKILL");
    expect(runs[2].code, runs[2].stderr).toBe(0);
    expect(runs[2].stderr).toMatch(/resuming .*dropped a half-written last line \(\d+ bytes\)/);
    expect(runs[2].stdout).toMatch(/^complete: \d+\/20 records/);
    const run = JSON.parse(readFileSync(join(out, "run.json"), "utf8"));
    expect(run.status).toBe("complete");
    expect(run.model.sha256).toMatch(/^[0-9a-f]{64}$/);
    // 9 personas × 2 and the default profile's 10 % no-persona share (2).
    expect(run.counts.target).toBe(20);
    expect(run.counts.records + run.counts.rejects).toBe(20);
    expect(run.counts.resumed).toBeGreaterThan(0);
  });

  it("has every id exactly once, none missing", () => {
    const ids = [...records.map((r) => r.id), ...rejects.map((r) => r.id)];
    expect(new Set(ids).size).toBe(ids.length);
    const expected = [...PERSONAS, "none"].flatMap((p) => [`${p}-000000`, `${p}-000001`]);
    expect(ids.sort()).toEqual(expected.sort());
    // Deeper conversations (2 tool rounds a turn) can end in an honest reject; each has a reason code.
    expect(rejects.length).toBeLessThanOrEqual(2);
    for (const reject of rejects) expect(reject.reason).toMatch(/^[a-z_]+$/);
  });

  it("writes only records that pass the validator, with the persona system message and derived seeds", () => {
    expect(records.length).toBe(20 - rejects.length);
    for (const record of records.filter((r) => r.persona !== null)) {
      const result = validateRecord(structuredClone(record));
      expect(result.ok, `${record.id}: ${JSON.stringify(!result.ok && result.issues)}`).toBe(true);
      expect(record.messages[0]).toEqual({ role: "system", content: `Persona: ${record.persona}` });
      const index = Number(record.id.slice(-6));
      expect([0, 1, 2].map((attempt) => recordSeed(1, record.persona, index, attempt))).toContain(record.meta?.seed);
      expect(record.meta?.scenario).toMatch(/^[a-z_]+(\/[a-z0-9_-]+)+\/[0-9a-f]{12}$/);
    }
  });

  it("gives every tool call arguments that validate against its tool, and one result each", () => {
    const ajv = new Ajv2020({ strict: false, allowUnionTypes: true });
    addFormats(ajv);
    let calls = 0;
    for (const record of records) {
      const tools = new Map(record.tools?.map((t) => [t.function.name, t.function.parameters ?? {}]));
      for (const [i, message] of record.messages.entries()) {
        for (const call of message.tool_calls ?? []) {
          calls++;
          const schema = tools.get(call.function.name);
          expect(schema, `${record.id} calls an undeclared tool`).toBeDefined();
          const valid = ajv.validate(schema as object, callArguments(call));
          expect(valid, `${record.id} ${call.function.name} ${JSON.stringify(call.function.arguments)}: ${ajv.errorsText()}`).toBe(true);
          expect(record.messages[i + 1]).toMatchObject({ role: "tool", tool_call_id: call.id, name: call.function.name });
          expect(() => JSON.parse(record.messages[i + 1].content as string)).not.toThrow();
        }
      }
    }
    // Guard against passing vacuously: the smoke run must have made tool calls.
    expect(calls).toBeGreaterThan(0);
  });
});

describe("generateDataset in process", () => {
  const base = { personas: "none", count: 2, concurrency: 2, threads: 1, gpu: "cpu", seed: 7 };

  function pipeline(extra: Record<string, unknown>): string {
    const file = join(tempDir("datagen-pipeline-"), "p.json");
    writeFileSync(file, JSON.stringify({ turns: { min: 1, max: 1 }, toolRoundsPerTurn: 0, retries: 1, ...extra }));
    return file;
  }

  it("makes persona-less records for --persona none", async () => {
    const out = tempDir("datagen-none-");
    const summary = await generateDataset(loadGenerateConfig(pipeline({}), { ...base, out }));
    expect(summary).toMatchObject({ status: "complete", records: 2, rejects: 0, target: 2 });
    expect(summary.generatedTokens).toBeGreaterThan(0);
    for (const record of readLines(join(out, "conversations.jsonl")) as ConversationRecord[]) {
      expect(record.persona).toBeNull();
      expect(record.messages.some((m) => m.role === "system")).toBe(false);
      expect(record.id).toMatch(/^none-00000[01]$/);
      expect(validateRecord(record).ok).toBe(true);
    }
  }, 300_000);

  it("retries a failing record with new seeds, then writes it to rejects.jsonl with its reason", async () => {
    const out = tempDir("datagen-rejects-");
    // An honest failure: a quality gate no 48-token answer can meet.
    const summary = await generateDataset(loadGenerateConfig(pipeline({ quality: { minFinalChars: 100000 } }), { ...base, out }));
    expect(summary).toMatchObject({ status: "complete", records: 0, rejects: 2, attempts: 4 });
    expect(readFileSync(join(out, "conversations.jsonl"), "utf8")).toBe("");
    const rejects = readLines(join(out, "rejects.jsonl")) as { id: string; reason: string; attempts: { seed: number; code: string }[] }[];
    expect(rejects.map((r) => r.id).sort()).toEqual(["none-000000", "none-000001"]);
    for (const reject of rejects) {
      expect(reject.reason).toBe("final_too_short");
      expect(reject.attempts.map((a) => a.code)).toEqual(["final_too_short", "final_too_short"]);
      expect(new Set(reject.attempts.map((a) => a.seed)).size).toBe(2);
    }
    expect(JSON.parse(readFileSync(join(out, "run.json"), "utf8")).counts).toMatchObject({ target: 2, records: 0, rejects: 2 });
  }, 300_000);

  it("rejects a record whose prompt would overflow the context instead of letting llama.cpp shift it", async () => {
    const out = tempDir("datagen-overflow-");
    const summary = await generateDataset(loadGenerateConfig(pipeline({ contextSize: 512, retries: 0 }), { ...base, count: 1, out }));
    expect(summary).toMatchObject({ records: 0, rejects: 1 });
    const [reject] = readLines(join(out, "rejects.jsonl")) as { reason: string; message: string }[];
    expect(reject.reason).toBe("context_overflow");
    expect(reject.message).toMatch(/exceed the context \(512\)/);
  }, 300_000);

  it("refuses to resume into a folder made with other settings", async () => {
    const out = tempDir("datagen-mismatch-");
    writeFileSync(join(out, "run.json"), JSON.stringify({ fingerprint: "0000000000000000" }));
    await expect(generateDataset(loadGenerateConfig(pipeline({}), { ...base, out }))).rejects.toThrow(
      /holds a run with different settings/,
    );
  }, 120_000);

  it("refuses to resume when run.json is unreadable, naming the file and a reason code, and leaves it as it was", async () => {
    const out = tempDir("datagen-bad-run-json-");
    const runJson = join(out, "run.json");
    writeFileSync(runJson, "{ not json");
    await expect(generateDataset(loadGenerateConfig(pipeline({}), { ...base, out }))).rejects.toThrow(`${runJson} unreadable_run_json`);
    expect(readFileSync(runJson, "utf8")).toBe("{ not json");
  }, 120_000);
});

describe("the generate CLI", () => {
  it("rejects a bad pipeline file with every error and its JSON path, exit 2", async () => {
    const file = join(tempDir("datagen-bad-"), "bad.json");
    writeFileSync(file, JSON.stringify({ count: -1, gpu: "tpu", maxTokens: { final: 0 } }));
    const result = await datagen(["generate", "--pipeline", file]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("invalid_pipeline (3 errors");
    expect(result.stderr).toContain("/count: must be >= 1");
    expect(result.stderr).toContain('/gpu: must be equal to one of the allowed values ["auto","cuda","vulkan","cpu"]');
    expect(result.stderr).toContain("/maxTokens/final: must be >= 1");
  }, 60_000);
});
