// `datagen generate --server` against real llama-server processes (CPU, the smoke model, built by
// scripts/setup.sh --test from the llama.cpp source node-llama-cpp ships), all on 127.0.0.1.
// No vLLM or SGLang server ran here: their shapes are covered in test/fleet-protocols.test.ts.
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Ajv2020 } from "ajv/dist/2020.js";
import formatsModule from "ajv-formats";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { callArguments, PERSONAS, type ConversationRecord } from "../../src/core/record.js";
import { ensureSmokeModel, GENERATE_STOP_BOOST } from "../../src/model/smoke.js";
import { validateRecord } from "../../src/validate/index.js";
import { runCli, type CliRun } from "../helpers/cli.js";
import {
  FaultProxy,
  freePort,
  kill9,
  lineCount,
  readLines,
  runDatagen,
  startLlamaServer,
  stopAll,
  type LlamaServer,
} from "../helpers/fleet-helpers.js";

const addFormats = formatsModule.default;
const made: string[] = [];
function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  made.push(dir);
  return dir;
}

interface ServerStats {
  url: string;
  kind: string;
  model: string;
  requests: number;
  errors: number;
  retries: number;
  records: number;
  benched: number;
}
interface RunJson {
  status: string;
  counts: { target: number; records: number; rejects: number; resumed: number };
  model: { identity: string; sha256: null };
  servers: ServerStats[];
}
const runJson = (out: string): RunJson => JSON.parse(readFileSync(join(out, "run.json"), "utf8")) as RunJson;

/** Every expected id exactly once over records and rejects; every record valid. */
function checkOutput(out: string, expectedIds: string[]): ConversationRecord[] {
  const records = readLines(join(out, "conversations.jsonl")) as ConversationRecord[];
  const rejects = readLines(join(out, "rejects.jsonl")) as { id: string; reason: string }[];
  const ids = [...records.map((r) => r.id), ...rejects.map((r) => r.id)];
  expect(new Set(ids).size, "an id is duplicated").toBe(ids.length);
  expect([...ids].sort()).toEqual([...expectedIds].sort());
  for (const record of records) {
    const result = validateRecord(structuredClone(record));
    expect(result.ok, `${record.id}: ${JSON.stringify(!result.ok && result.issues)}`).toBe(true);
  }
  return records;
}

/** The ids the run will execute: generate --plan --json prints them without loading a model. */
async function plannedIds(personas: string, count: number): Promise<string[]> {
  const plan = await runCli("datagen", ["generate", "--plan", "--json", "--persona", personas, "--count", String(count)]);
  expect(plan.code, plan.stderr).toBe(0);
  return plan.stdout
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l) as { id?: string })
    .flatMap((l) => (l.id === undefined ? [] : [l.id]));
}
const idsFor = (personas: readonly string[], count: number) => plannedIds(personas.join(","), count);

let model: string;
let a: LlamaServer;
let b: LlamaServer;

beforeAll(async () => {
  // generate's smoke model (stop tokens raised): texts end by themselves, as steps must.
  model = await ensureSmokeModel({ stopBoost: GENERATE_STOP_BOOST });
  [a, b] = await Promise.all([startLlamaServer(model), startLlamaServer(model)]);
}, 300_000);

afterAll(async () => {
  await stopAll();
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});

describe("9 personas x 2 records over two llama-servers, with kill -9 of generate and a resume", () => {
  const out = tempDir("datagen-fleet-");
  const file = join(out, "conversations.jsonl");
  let args: string[];
  const runs: CliRun[] = [];

  beforeAll(async () => {
    args = ["generate", "--persona", "all", "--count", "2", "--out", out, "--server", `${a.url},${b.url}`];
    runs.push(await runDatagen(args, { file, afterLines: 2, action: (child) => void child.kill("SIGKILL") }));
    runs.push(await runDatagen(args));
  }, 900_000);

  it("was killed, then the same command resumed and completed", async () => {
    expect(runs[0].signal).toBe("SIGKILL");
    expect(runs[1].code, runs[1].stderr).toBe(0);
    // The smoke model's noise can fail a step's checks (arguments that never close): such a conversation is an honest reject.
    const planned = (await plannedIds("all", 2)).length;
    const done = /^complete: (\d+)\/(\d+) records(?:, (\d+) rejected)?/.exec(runs[1].stdout);
    expect(done, runs[1].stdout).not.toBeNull();
    expect(Number(done![2])).toBe(planned);
    expect(Number(done![1]) + Number(done![3] ?? 0)).toBe(planned);
    expect(runs[1].stderr).toMatch(/resuming .*: [3-9]\d* records|resuming .*: \d+ records/);
    const run = runJson(out);
    expect(run.status).toBe("complete");
    expect(run.counts.resumed).toBeGreaterThanOrEqual(3);
  });

  it("has every planned id exactly once (records and rejects), every record valid", async () => {
    const records = checkOutput(out, await plannedIds("all", 2));
    expect(records.length).toBeGreaterThan(0);
  });

  it("used both servers, and run.json names each with its kind, model and counters", () => {
    const run = runJson(out);
    expect(run.model.identity).toMatch(/^gpt-oss-smoke-[0-9a-f]{16}\.gguf #[0-9a-f]{12}$/);
    expect(run.model.sha256).toBeNull();
    expect(run.servers.map((s) => s.url).sort()).toEqual([a.url, b.url].sort());
    for (const server of run.servers) {
      expect(server).toMatchObject({ kind: "llama-server", model: run.model.identity });
      expect(server.requests, server.url).toBeGreaterThan(0);
      expect(server.records, server.url).toBeGreaterThan(0);
    }
    const resumedRun = run.counts.records + run.counts.rejects - run.counts.resumed;
    expect(run.servers.reduce((n, s) => n + s.records, 0)).toBe(resumedRun);
  });

  it("gives every tool call arguments that validate against its tool (checked again on return)", () => {
    const ajv = new Ajv2020({ strict: false, allowUnionTypes: true });
    addFormats(ajv);
    let calls = 0;
    for (const record of readLines(file) as ConversationRecord[]) {
      const tools = new Map(record.tools?.map((t) => [t.function.name, t.function.parameters ?? {}]));
      for (const message of record.messages) {
        for (const call of message.tool_calls ?? []) {
          calls++;
          expect(ajv.validate(tools.get(call.function.name) as object, callArguments(call)), `${record.id}: ${ajv.errorsText()}`).toBe(
            true,
          );
        }
      }
    }
    expect(calls).toBeGreaterThan(0);
  });

  it("refuses to resume against a server with another model, naming both", async () => {
    const dir = tempDir("datagen-fleet-model-");
    const other = join(dir, "other-model.gguf");
    copyFileSync(model, other);
    const server = await startLlamaServer(other);
    const before = lineCount(file);
    try {
      const result = await runDatagen([...args.slice(0, -1), server.url]);
      expect(result.code).toBe(2);
      expect(result.stderr).toMatch(
        /holds a run made with model gpt-oss-smoke-[0-9a-f]{16}\.gguf #[0-9a-f]{12}, but this run.s model is other-model\.gguf #[0-9a-f]{12}/,
      );
      expect(lineCount(file)).toBe(before);
    } finally {
      await kill9(server.child);
    }
  }, 300_000);
});

describe("kill -9 of one of two servers mid-run", () => {
  const out = tempDir("datagen-fleet-kill-");
  let victim: LlamaServer;
  let result: CliRun;
  const personas = PERSONAS.slice(0, 3);

  beforeAll(async () => {
    victim = await startLlamaServer(model);
    const args = ["generate", "--persona", personas.join(","), "--count", "2", "--out", out, "--server", a.url, "--server", victim.url];
    result = await runDatagen(args, { file: join(out, "conversations.jsonl"), afterLines: 0, action: () => kill9(victim.child) });
  }, 900_000);

  it("completes on the other server with no id lost or duplicated", async () => {
    expect(victim.child.signalCode).toBe("SIGKILL");
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toContain(`server ${victim.url} benched`);
    checkOutput(out, await idsFor(personas, 2));
    const run = runJson(out);
    expect(run.status).toBe("complete");
    const dead = run.servers.find((s) => s.url === victim.url) as ServerStats;
    const alive = run.servers.find((s) => s.url === a.url) as ServerStats;
    expect(dead.benched).toBeGreaterThanOrEqual(1);
    expect(alive.records).toBeGreaterThan(0);
  });
});

describe("a fault proxy in front of a real server", () => {
  let proxy: FaultProxy;
  const personas = PERSONAS.slice(0, 2);

  beforeAll(async () => {
    proxy = new FaultProxy(b.url, ["503", "429", "reset", "stall", "500"]);
    await proxy.start();
  });
  afterAll(() => proxy.stop());

  it("rides out 503 + Retry-After, 429, a reset, a stall past the timeout and llama-server's UTF-8 500: all valid, retries counted", async () => {
    const out = tempDir("datagen-fleet-faults-");
    const result = await runDatagen([
      "generate",
      "--persona",
      personas.join(","),
      "--count",
      "2",
      "--out",
      out,
      "--server",
      proxy.url,
      "--request-timeout",
      "6s",
    ]);
    expect(result.code, result.stderr).toBe(0);
    expect(proxy.applied).toEqual(["503", "429", "reset", "stall", "500"]);
    checkOutput(out, await idsFor(personas, 2));
    const [server] = runJson(out).servers;
    expect(server.errors).toBeGreaterThanOrEqual(5);
    expect(server.retries).toBeGreaterThanOrEqual(5);
  }, 600_000);

  it("with every server down mid-run: waits --server-wait, stops as interrupted with a clear message; the rerun resumes", async () => {
    const out = tempDir("datagen-fleet-down-");
    const file = join(out, "conversations.jsonl");
    const args = ["generate", "--persona", personas.join(","), "--count", "2", "--out", out, "--server", proxy.url, "--server-wait", "3s"];
    const down = await runDatagen(args, { file, afterLines: 0, action: () => proxy.stop() });
    expect(down.code, down.stderr).toBe(1);
    expect(down.stderr).toContain(`no server answered for 3 s (--server-wait): ${proxy.url}`);
    expect(runJson(out).status).toBe("interrupted");
    const kept = lineCount(file);
    expect(kept).toBeGreaterThanOrEqual(1);
    await proxy.start();
    const rerun = await runDatagen(args);
    expect(rerun.code, rerun.stderr).toBe(0);
    const planned = (await idsFor(personas, 2)).length;
    expect(rerun.stdout).toMatch(new RegExp(`^complete: \\d+/${planned} records`));
    expect(runJson(out).counts.resumed).toBeGreaterThanOrEqual(kept);
    checkOutput(out, await idsFor(personas, 2));
  }, 600_000);
});

describe("no server reachable", () => {
  it("fails at once with exit 1, naming every URL and why, and writes nothing", async () => {
    const out = join(tempDir("datagen-fleet-none-"), "not-yet-there");
    const urls = [`http://127.0.0.1:${await freePort()}`, `http://127.0.0.1:${await freePort()}`];
    const result = await runDatagen(["generate", "--persona", "all", "--out", out, "--server", urls.join(",")]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      new RegExp(
        `no server reachable: ${urls[0]} \\(/health: cannot connect \\(ECONNREFUSED\\)\\); ${urls[1]} \\(/health: cannot connect \\(ECONNREFUSED\\)\\)`,
      ),
    );
    expect(result.stderr).not.toMatch(/\n\s+at /);
    expect(existsSync(out)).toBe(false); // not even an empty --out folder
  }, 120_000);
});
