// Shared by the fleet tests: real llama-server processes on 127.0.0.1 (the binary that
// scripts/setup.sh --test builds), the datagen CLI as a child process (test/helpers/cli.ts runCli,
// tracked here), and a loopback fault proxy.
// Every process started here is tracked and killed by stopAll().
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { join } from "node:path";
import { projectRoot } from "../../src/core/project.js";
import { runCli, type CliRun } from "./cli.js";

const root = projectRoot();
const children = new Set<ChildProcess>();

/** The cached llama-server binary; the fleet tests need `scripts/setup.sh --test` to have built it. */
export function llamaServerBinary(): string {
  const path = spawnSync(join(root, "scripts/build-llama-server.sh"), ["--path"], { encoding: "utf8" }).stdout.trim();
  if (!path || !existsSync(path))
    throw new Error(
      `llama-server is not built (${path || "no path"}): run scripts/setup.sh --test (or scripts/build-llama-server.sh) first`,
    );
  return path;
}

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as AddressInfo;
  await new Promise((r) => server.close(r));
  return port;
}

export interface LlamaServer {
  url: string;
  port: number;
  child: ChildProcess;
  log: () => string;
}

/** Starts llama-server on 127.0.0.1 with `model` (by default 2 slots of 4096 tokens, 1 thread) and waits for /health. */
export async function startLlamaServer(
  model: string,
  port?: number,
  options: { slots?: number; threads?: number; args?: string[] } = {},
): Promise<LlamaServer> {
  const chosen = port ?? (await freePort());
  const { slots = 2, threads = 1 } = options;
  const args = [
    "-m",
    model,
    "--host",
    "127.0.0.1",
    "--port",
    String(chosen),
    "-np",
    String(slots),
    "-c",
    String(slots * 4096),
    "-t",
    String(threads),
    "--no-webui",
    ...(options.args ?? []),
  ];
  const child = spawn(llamaServerBinary(), args, { stdio: ["ignore", "pipe", "pipe"] });
  children.add(child);
  child.on("exit", () => children.delete(child));
  let output = "";
  child.stdout?.on("data", (d: Buffer) => (output = (output + d).slice(-20_000)));
  child.stderr?.on("data", (d: Buffer) => (output = (output + d).slice(-20_000)));
  const url = `http://127.0.0.1:${chosen}`;
  const deadline = Date.now() + 180_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`llama-server exited with ${child.exitCode}: ${output.slice(-2000)}`);
    const status = await fetch(`${url}/health`).then(
      (r) => r.status,
      () => 0,
    );
    if (status === 200) break;
    if (Date.now() > deadline) throw new Error(`llama-server did not become healthy: ${output.slice(-2000)}`);
    await new Promise((r) => setTimeout(r, 250));
  }
  return { url, port: chosen, child, log: () => output };
}

export async function kill9(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once("exit", r));
  child.kill("SIGKILL");
  await exited;
}

/** Kills every process these helpers started. */
export async function stopAll(): Promise<void> {
  await Promise.all([...children].map(kill9));
}

export const lineCount = (file: string): number => (existsSync(file) ? readFileSync(file, "utf8").split("\n").length - 1 : 0);
export const readLines = (file: string): unknown[] =>
  existsSync(file)
    ? readFileSync(file, "utf8")
        .split("\n")
        .filter(Boolean)
        .map((l) => JSON.parse(l) as unknown)
    : [];

/**
 * Runs the built datagen CLI from the project root, tracked by stopAll(); `when` runs `action` once
 * `file` has more than `afterLines` lines.
 */
export function runDatagen(
  args: string[],
  when?: { file: string; afterLines: number; action: (child: ChildProcess) => void | Promise<void> },
): Promise<CliRun> {
  return runCli("datagen", args, {
    cwd: root,
    whileRunning: (child) => {
      children.add(child);
      child.on("close", () => children.delete(child));
    },
    when: when && { ready: () => lineCount(when.file) > when.afterLines, act: when.action, everyMs: 100 },
  });
}

export type Fault = "503" | "429" | "reset" | "stall" | "500";

/**
 * A loopback proxy in front of a real server. Each generate call (POST /completion) takes the next
 * fault from `faults`; when none is left, calls pass through (streamed both ways). Health and
 * other probes always pass through.
 */
export class FaultProxy {
  readonly applied: Fault[] = [];
  private server?: Server;
  private readonly sockets = new Set<Socket>();
  port = 0;

  constructor(
    private readonly target: string,
    readonly faults: Fault[],
  ) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    const server = createServer((req, res) => this.handle(req, res));
    server.on("connection", (socket) => {
      this.sockets.add(socket);
      socket.on("close", () => this.sockets.delete(socket));
    });
    await new Promise<void>((r) => server.listen(this.port, "127.0.0.1", r));
    this.port = (server.address() as AddressInfo).port;
    this.server = server;
  }

  /** Stops listening and cuts every connection: the server looks dead. */
  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const socket of this.sockets) socket.destroy();
    if (server) await new Promise((r) => server.close(r));
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const fault = req.method === "POST" && req.url === "/completion" ? this.faults.shift() : undefined;
    if (fault) this.applied.push(fault);
    const json = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      res.writeHead(status, { "content-type": "application/json", ...headers });
      res.end(JSON.stringify(body));
    };
    switch (fault) {
      case "503":
        return json(503, { error: { code: 503, message: "Loading model", type: "unavailable_error" } }, { "retry-after": "1" });
      case "429":
        return json(429, { error: { code: 429, message: "too many requests", type: "rate_limit_error" } });
      case "reset":
        req.socket.destroy();
        return;
      case "stall":
        return; // never answers: the client's timeout must fire
      case "500":
        // llama-server's answer when the text ends in a cut UTF-8 sequence (FLEET.md).
        return json(500, {
          error: {
            code: 500,
            message: "The model produced output that does not match the expected Content-only format",
            type: "server_error",
          },
        });
    }
    const upstream = request(this.target + (req.url ?? "/"), { method: req.method, headers: req.headers }, (up) => {
      res.writeHead(up.statusCode ?? 502, up.headers);
      up.pipe(res);
    });
    upstream.on("error", () => res.destroy());
    res.on("close", () => upstream.destroy());
    req.pipe(upstream);
  }
}
