// A hostile inference server (a node:http stand-in on 127.0.0.1): what it sends is never trusted.
// A huge body or an endless event stream fails the call (a size cap from the call's token budget,
// the deadline kept) instead of the process; slots it reports are validated; two models sharing a
// file name are told apart by what the server reports; every failure leaves run.json interrupted or
// failed, never running. The real llama-server side is in test/fleet.test.ts and test/secrets.test.ts.
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { answerCapBytes } from "../../src/generate/model/http.js";
import { FleetModel, MAX_SERVER_SLOTS, ServersUnavailableError } from "../../src/generate/model/server.js";
import type { GenerateRequest } from "../../src/generate/model/types.js";
import { SPECIAL } from "../../src/tokenize/o200k_harmony.js";
import { expectCleanError, runCli } from "../helpers/cli.js";

const dir = mkdtempSync(join(tmpdir(), "fleet-hostile-"));
const servers: Server[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) s.closeAllConnections();
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const sampling = { temperature: 0.8, topK: 40, topP: 0.95, minP: 0.05 };
const request: GenerateRequest = { prompt: [SPECIAL.start, 1428, SPECIAL.message], maxTokens: 32, seed: 1, sampling };
const HARMONY = [SPECIAL.start, SPECIAL.message, SPECIAL.return, SPECIAL.call];

type Completion = (res: ServerResponse) => void;
interface Shape {
  props?: Record<string, unknown>;
  meta?: Record<string, unknown> | null;
  completion?: Completion;
}

/** A llama-server-shaped stand-in: /health, /props, /tokenize and /v1/models answer; /completion as told. */
async function llamaLike(shape: Shape = {}): Promise<string> {
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    req.resume();
    req.on("end", () => {
      const json = (body: unknown, status = 200) => {
        res.writeHead(status, { "content-type": "application/json" });
        res.end(JSON.stringify(body));
      };
      if (req.url === "/health") return json({ status: "ok" });
      if (req.url === "/props")
        return json({
          total_slots: 1,
          model_path: "/models/gpt-oss-20b.gguf",
          default_generation_settings: { n_ctx: 4096 },
          ...shape.props,
        });
      if (req.url === "/tokenize") return json({ tokens: HARMONY });
      if (req.url === "/v1/models")
        return shape.meta === null
          ? json({}, 404)
          : json({
              object: "list",
              data: [{ id: "gpt-oss-20b.gguf", meta: shape.meta ?? { n_params: 20_000_000_000, n_vocab: 201088, size: 12_000_000_000 } }],
            });
      if (req.url === "/completion" && shape.completion) return shape.completion(res);
      json({ error: "not found" }, 404);
    });
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** Writes `chunk` as fast as the socket takes it until the client goes away or `limit` bytes went. */
function flood(res: ServerResponse, chunk: string, limit: number): void {
  let sent = 0;
  const more = () => {
    while (!res.destroyed && sent < limit) {
      sent += chunk.length;
      if (!res.write(chunk)) return void res.once("drain", more);
    }
    if (!res.destroyed) res.end();
  };
  res.on("close", () => (sent = limit));
  more();
}
const MB = "x".repeat(1 << 20);
const hugeJson: Completion = (res) => {
  res.writeHead(200, { "content-type": "application/json" });
  flood(res, MB, 600 << 20);
};
const endlessEvent: Completion = (res) => {
  res.writeHead(200, { "content-type": "text/event-stream" });
  res.write("data: ");
  flood(res, MB, 2000 << 20); // one event that never ends: no blank line ever comes
};

const options = (urls: string[], more: Partial<Parameters<typeof FleetModel.connect>[0]> = {}) => ({
  urls,
  kind: "auto" as const,
  concurrency: 4,
  waitSeconds: 1,
  timeoutSeconds: 5,
  contextSize: 4096,
  log: () => {},
  ...more,
});

describe("hostile answers fail the call, not the process", () => {
  it("a 600 MB answer body stops at the cap derived from the call's max tokens", async () => {
    const fleet = await FleetModel.connect(options([await llamaLike({ completion: hugeJson })]));
    const started = Date.now();
    try {
      await expect(fleet.withSession((s) => s.generate(request))).rejects.toThrow(
        new RegExp(`larger than ${answerCapBytes(32)} bytes|no server answered`),
      );
    } finally {
      await fleet.close();
    }
    expect(Date.now() - started).toBeLessThan(30_000);
  }, 60_000);

  it("an endless event stream is cut by the cap; a trickle of pings by --request-timeout", async () => {
    const fleet = await FleetModel.connect(options([await llamaLike({ completion: endlessEvent })], { waitSeconds: 1 }));
    try {
      const before = process.memoryUsage().rss;
      await expect(fleet.withSession((s) => s.generate(request))).rejects.toThrow(/larger than \d+ bytes|no server answered/);
      expect(process.memoryUsage().rss - before).toBeLessThan(300 << 20);
    } finally {
      await fleet.close();
    }
    const trickle: Completion = (res) => {
      res.writeHead(200, { "content-type": "text/event-stream" });
      const timer = setInterval(() => res.write(": ping\n\n"), 20);
      res.on("close", () => clearInterval(timer));
    };
    const slow = await FleetModel.connect(options([await llamaLike({ completion: trickle })], { timeoutSeconds: 1, waitSeconds: 1 }));
    const started = Date.now();
    try {
      await expect(slow.withSession((s) => s.generate(request))).rejects.toThrow(/no complete answer within 1 s|no server answered/);
      expect(slow.report()[0].last_error).toMatch(/no complete answer within 1 s/);
    } finally {
      await slow.close();
    }
    expect(Date.now() - started).toBeLessThan(60_000);
  }, 60_000);

  it("a probe answer (/props) of 600 MB: the server is unreachable with the reason, nothing crashes", async () => {
    const server = createServer((req, res) => {
      req.resume();
      if (req.url === "/health") return res.end("{}");
      res.writeHead(200, { "content-type": "application/json" });
      flood(res, MB, 600 << 20);
    });
    servers.push(server);
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    await expect(FleetModel.connect(options([url]))).rejects.toThrow(/no server reachable: .*larger than 4194304 bytes/);
  }, 60_000);

  it("slots: -1, 0 and a fraction are refused; a huge count is clamped", async () => {
    for (const bad of [-1, 0, 1.5, "8"]) {
      const url = await llamaLike({ props: { total_slots: bad } });
      await expect(FleetModel.connect(options([url]))).rejects.toThrow(ServersUnavailableError);
      await expect(FleetModel.connect(options([url]))).rejects.toThrow(
        typeof bad === "number" ? /total_slots .* is not a positive integer/ : /no total_slots/,
      );
    }
    const fleet = await FleetModel.connect(
      options([await llamaLike({ props: { total_slots: 1e12, default_generation_settings: { n_ctx: -5 } } })]),
    );
    try {
      expect(fleet.capacity).toBe(MAX_SERVER_SLOTS);
      expect(fleet.contextSize).toBe(4096); // the server's -5 is not believed: the configured size
    } finally {
      await fleet.close();
    }
  });
});

describe("model identity", () => {
  it("two models with the same file name are different models; one reported by name only gets a warning", async () => {
    const a = await llamaLike({ meta: { n_params: 20_000_000_000, n_vocab: 201088, size: 12_000_000_000 } });
    const b = await llamaLike({ meta: { n_params: 120_000_000_000, n_vocab: 201088, size: 65_000_000_000 } });
    await expect(FleetModel.connect(options([a, b]))).rejects.toThrow(/the servers serve different models/);
    const one = await FleetModel.connect(options([a]));
    const other = await FleetModel.connect(options([b]));
    try {
      expect(one.name).toBe(other.name);
      expect(one.identity).not.toBe(other.identity);
    } finally {
      await one.close();
      await other.close();
    }
    const lines: string[] = [];
    const bare = await FleetModel.connect(options([await llamaLike({ meta: null })], { log: (l) => lines.push(l) }));
    await bare.close();
    expect(lines.join("\n")).toMatch(/warning: .* identifies its model only by name and path \(model_file/);
  });
});

describe("datagen generate against a hostile server", () => {
  const pipeline = join(dir, "pipeline.json");
  writeFileSync(pipeline, JSON.stringify({ retries: 0, stepRetries: 0 }));
  const generate = (out: string, url: string, more: string[] = []) =>
    runCli("datagen", [
      "generate",
      "--pipeline",
      pipeline,
      "--persona",
      "none",
      "--count",
      "1",
      "--out",
      out,
      "--server",
      url,
      "--server-wait",
      "1s",
      ...more,
    ]);
  const status = (out: string) => (JSON.parse(readFileSync(join(out, "run.json"), "utf8")) as { status: string }).status;

  // The server is benched, comes back on its probe, fails again: the record is rejected with the
  // reason (or, all servers down past --server-wait, the run stops as interrupted). Exit 1 either way.
  const ended = (out: string) => expect(["interrupted", "complete"]).toContain(status(out));
  const rejectedFor = (out: string, reason: RegExp) => {
    if (status(out) === "complete") expect(readFileSync(join(out, "rejects.jsonl"), "utf8")).toMatch(reason);
  };

  it("a 600 MB body: one line, exit 1, run.json not running (was: RangeError stack, run.json running)", async () => {
    const out = join(dir, "huge");
    // With a password in the URL: it is sent (Basic), and never written or printed.
    const url = (await llamaLike({ completion: hugeJson })).replace("http://", "http://bob:pa55-w0rd-x@");
    const run = await generate(out, url, ["--json"]);
    expectCleanError(run, 1, /larger than \d+ bytes[^]*(no usable record|no server answered for 1 s)/);
    ended(out);
    rejectedFor(out, /server_bad_answer/);
    const written =
      readFileSync(join(out, "run.json"), "utf8") +
      (existsSync(join(out, "rejects.jsonl")) ? readFileSync(join(out, "rejects.jsonl"), "utf8") : "") +
      run.stdout +
      run.stderr;
    expect(written).not.toContain("pa55-w0rd-x");
    expect(written).toContain("http://***@127.0.0.1:");
  }, 120_000);

  it("an endless event stream ends the same way within --request-timeout", async () => {
    const out = join(dir, "endless");
    const started = Date.now();
    const run = await generate(out, await llamaLike({ completion: endlessEvent }), ["--request-timeout", "3s"]);
    expectCleanError(run, 1, /larger than \d+ bytes[^]*(no usable record|no server answered for 1 s)/);
    ended(out);
    expect(Date.now() - started).toBeLessThan(60_000);
  }, 120_000);

  it("a server reporting -1 slots: a clean error, nothing left running", async () => {
    const out = join(dir, "slots");
    const run = await generate(out, await llamaLike({ props: { total_slots: -1 } }));
    expectCleanError(run, 1, /no server reachable: .*total_slots -1 is not a positive integer/);
    expect(existsSync(join(out, "run.json")) ? status(out) : "none").not.toBe("running");
  }, 60_000);

  it("--server '' is a usage error, not a silent run on the smoke model", async () => {
    const out = join(dir, "empty");
    expectCleanError(await generate(out, ""), 2, /--server needs a URL/);
    expectCleanError(await runCli("datagen", ["generate", "--server", "http://127.0.0.1:1,", "--out", out]), 2, /--server needs a URL/);
    expect(existsSync(join(out, "conversations.jsonl"))).toBe(false);
  }, 60_000);
});
