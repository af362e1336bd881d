// The fleet implementation of the model interface: the same token-exact calls as local.ts, sent to
// one or more servers of the kinds in servers/ (each kind's file says how it is told, probed, asked
// and read).
//
// Scheduling, per server: at most `limit` calls in flight, limit starting at the server's slots
// (for a kind that reports them, llama-server's total_slots; --concurrency for the others) and
// adapting AIMD-style: halved on 429, 503 or a timeout, one more after `limit` calls in a row
// succeed. A failed call is retried with jittered exponential back-off (at least what Retry-After
// asks), on the same server while it is healthy, else on another: the call carries the
// conversation's whole prompt, so the conversation goes on where it was. A server that refuses
// connections or fails 3 calls in a row is benched; a health probe every second brings it back
// when it answers again. With every server benched, calls wait up to --server-wait, then the run
// stops (ServersUnavailableError: run.json says interrupted, rerunning resumes).
import { DatagenError, UsageError } from "../../core/errors.js";
import { splitCredentials } from "../../core/redact.js";
import { StepError, traceEntry } from "./types.js";
import { answerCapBytes, httpJson, oneLine, parseJsonBody, TransportError } from "./http.js";
import { buildRequest, finishGeneration, type WireResult } from "./protocols.js";
import type { ProbedServer, ServerClient } from "./servers/common.js";
import { DETECT_ORDER, SERVER_NAMES, type ServerKind, type ServerKindChoice, serverKindSpec } from "./servers/index.js";
import type { Generated, GenerateRequest, GenerationModel, ModelSession, TokenCounters, TraceEntry } from "./types.js";

export interface FleetOptions {
  urls: string[];
  kind: ServerKindChoice;
  /** Calls in flight per server of a kind that reports no slots (vLLM, SGLang; llama-server: its own total_slots). */
  concurrency: number;
  /** All servers down: how long calls wait before the run stops. */
  waitSeconds: number;
  /** One call's deadline. */
  timeoutSeconds: number;
  /** Used when a server does not report its context size. */
  contextSize: number;
  log: (line: string) => void;
  /** Sent as `Authorization: Bearer KEY` to every server (api-key.ts says where it comes from). */
  apiKey?: string;
}

/** No server answered for --server-wait (or none at start): exit 1; run.json says interrupted. */
export class ServersUnavailableError extends DatagenError {}

/** Tries of one call (over all servers) before it fails its step with the last reason. */
export const MAX_TRIES = 6;
const PROBE_EVERY_MS = 1000;
const BENCH_AFTER_FAILURES = 3;

export { MAX_SERVER_SLOTS } from "./servers/common.js";

export interface ServerInfo extends ProbedServer {
  kind: ServerKind;
}

/** Where and how to reach a server: its URL without credentials, and the headers that carry them. */
export interface ServerTarget {
  url: string;
  headers: Record<string, string>;
}

class Server {
  info?: ServerInfo;
  max = 1;
  limit = 1;
  inflight = 0;
  private streak = 0;
  failures = 0;
  benched = false;
  lastError = "";
  readonly stats = { requests: 0, errors: 0, retries: 0, records: 0, generated_tokens: 0, benched: 0, restored: 0 };

  readonly url: string;
  readonly headers: Record<string, string>;

  constructor(target: ServerTarget) {
    this.url = target.url;
    this.headers = target.headers;
  }

  setUp(info: ServerInfo, concurrency: number): void {
    this.info = info;
    this.max = serverKindSpec(info.kind).reportsSlots && info.slots ? info.slots : concurrency;
    this.limit = this.max;
  }

  get free(): boolean {
    return !this.benched && this.info !== undefined && this.inflight < this.limit;
  }

  succeeded(): void {
    this.failures = 0;
    if (++this.streak >= this.limit) {
      this.limit = Math.min(this.max, this.limit + 1);
      this.streak = 0;
    }
  }

  /** AIMD and benching; true when the server is now benched. */
  failed(err: TransportError): boolean {
    this.lastError = err.message;
    this.streak = 0;
    if (err.status === 429 || err.status === 503 || err.kind === "timeout") this.limit = Math.max(1, Math.floor(this.limit / 2));
    if (err.status === 429) return false;
    this.failures++;
    if (err.kind === "refused" || this.failures >= BENCH_AFTER_FAILURES) this.bench();
    return this.benched;
  }

  bench(): void {
    if (this.benched) return;
    this.benched = true;
    this.stats.benched++;
  }
}

const trimSlash = (url: string) => url.replace(/\/+$/, "");

/**
 * A --server URL → where to send and what to send with it: user:password in the URL becomes Basic
 * authorization (and leaves the URL, so no message or file ever holds it); an API key becomes
 * Bearer authorization and takes precedence.
 */
export function serverTarget(url: string, apiKey?: string): ServerTarget {
  const { url: clean, authorization } = splitCredentials(url);
  const bearer = apiKey ? `Bearer ${apiKey}` : authorization;
  return { url: trimSlash(clean), headers: bearer ? { authorization: bearer } : {} };
}

async function getJson(target: ServerTarget, path: string, timeoutMs: number): Promise<unknown> {
  const url = target.url + path;
  const res = await authorized(url, httpJson("GET", url, undefined, { timeoutMs, headers: target.headers }));
  return parseJsonBody(url, res.body);
}

/** 401/403 (as a status or as httpJson's error): no retry helps; the user must give the key. */
async function authorized<T extends { status: number }>(url: string, call: Promise<T>): Promise<T> {
  const refuse = (status: number | undefined) => {
    if (status === 401 || status === 403) {
      throw new UsageError(
        `${url}: HTTP ${status}: the server wants an API key (or refused the one sent); ` +
          `put it in the DATAGEN_API_KEY environment variable or in a file named by --api-key-file`,
      );
    }
  };
  let res: T;
  try {
    res = await call;
  } catch (err) {
    if (err instanceof TransportError) refuse(err.status);
    throw err;
  }
  refuse(res.status);
  return res;
}

/** A probe's way to its server: its credentials on every call, 401/403 as a UsageError. */
function serverClient(target: ServerTarget, timeoutMs: number): ServerClient {
  return {
    base: target.url,
    getJson: (path) => getJson(target, path, timeoutMs),
    postJson: async (path, body) => {
      const url = target.url + path;
      const res = await authorized(url, httpJson("POST", url, body, { timeoutMs, headers: target.headers }));
      return parseJsonBody(target.url, res.body);
    },
  };
}

/** Which kind of server answers at `base` (its own endpoints tell, asked in DETECT_ORDER). */
async function detectKind(target: ServerTarget, timeoutMs: number): Promise<ServerKind> {
  const base = target.url;
  let last: unknown;
  for (const kind of DETECT_ORDER) {
    const { path, fits } = serverKindSpec(kind).detect;
    try {
      if (fits(await getJson(target, path, timeoutMs))) return kind;
    } catch (err) {
      if (err instanceof UsageError) throw err;
      last = err;
      if (err instanceof TransportError && (err.kind === "refused" || err.kind === "timeout" || err.status === 503)) throw err;
    }
  }
  throw last instanceof TransportError
    ? last
    : new TransportError(
        "bad_answer",
        `${base}: not a ${SERVER_NAMES} server ` +
          `(none of ${DETECT_ORDER.map((k) => serverKindSpec(k).detect.path).join(", ")} answered as one)`,
      );
}

/** Health, kind, model identity, slots and context of one server; throws a TransportError (a UsageError for a refused key). */
export async function probeServer(target: ServerTarget, kind: ServerKindChoice, timeoutMs: number): Promise<ServerInfo> {
  const base = target.url;
  const health = await authorized(`${base}/health`, httpJson("GET", `${base}/health`, undefined, { timeoutMs, headers: target.headers }));
  if (health.status !== 200) throw new TransportError("http", `${base}/health: HTTP ${health.status}`, health.status);
  const found = kind === "auto" ? await detectKind(target, timeoutMs) : kind;
  return { kind: found, ...(await serverKindSpec(found).probe(serverClient(target, timeoutMs))) };
}

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    }
    signal?.addEventListener("abort", done, { once: true });
  });

/** Jittered exponential back-off (±25 %, 0.5 s doubling to 30 s), never shorter than Retry-After. */
export function backoffMs(tries: number, retryAfterSeconds: number | undefined, random = Math.random): number {
  const base = Math.min(30_000, 500 * 2 ** (tries - 1));
  const jittered = base * (0.75 + 0.5 * random());
  return Math.max(jittered, (retryAfterSeconds ?? 0) * 1000);
}

interface FleetSession extends ModelSession {
  server?: Server;
}

export class FleetModel implements GenerationModel {
  readonly counters: TokenCounters = { generated: 0, prompt: 0, calls: 0 };
  readonly device = "servers";
  onCall?: (entry: TraceEntry) => void;
  private waiters: (() => void)[] = [];
  private downSince: number | null = null;
  private readonly probe: NodeJS.Timeout;
  private probing = false;

  private constructor(
    private readonly servers: Server[],
    private readonly options: FleetOptions,
    /** The model every server reports (its identity, the resume fingerprint's model). */
    readonly identity: string,
    /** Its short name, for records and messages. */
    readonly name: string,
    /** What the identity is made of. */
    readonly reported: Record<string, unknown>,
  ) {
    this.probe = setInterval(() => void this.probeBenched(), PROBE_EVERY_MS);
    this.probe.unref();
  }

  /** Probes every server; fails at once with every URL and its reason when none answers. */
  static async connect(options: FleetOptions): Promise<FleetModel> {
    const servers = options.urls.map((url) => new Server(serverTarget(url, options.apiKey)));
    const probeMs = Math.min(10_000, options.timeoutSeconds * 1000);
    const deadline = Date.now() + options.waitSeconds * 1000;
    for (;;) {
      const results = await Promise.allSettled(servers.map((s) => probeServer(s, options.kind, probeMs)));
      const usage = results.find((r): r is PromiseRejectedResult => r.status === "rejected" && r.reason instanceof UsageError);
      if (usage) throw usage.reason;
      results.forEach((r, i) => {
        if (r.status === "fulfilled") servers[i].setUp(r.value, options.concurrency);
        else servers[i].lastError = r.reason instanceof Error ? r.reason.message : String(r.reason);
      });
      const up = servers.filter((s) => s.info);
      if (up.length > 0) {
        const identities = [...new Set(up.map((s) => s.info?.model))];
        if (identities.length > 1)
          throw new UsageError(
            `the servers serve different models (${up.map((s) => `${s.url}: ${s.info?.model}`).join(", ")}); one run needs one model`,
          );
        for (const s of servers) if (!s.info) s.bench();
        const info = up[0].info as ServerInfo;
        const fleet = new FleetModel(servers, options, info.model, info.name, info.reported);
        if (!info.distinctive) {
          options.log(
            `warning: ${up[0].url} identifies its model only by name and path (${Object.keys(info.reported).join(", ")}): ` +
              `a different model under the same name would pass for this one on resume; resume only with the same weights`,
          );
        }
        for (const s of servers.filter((x) => !x.info))
          options.log(`server ${s.url} is not answering (${s.lastError}); it joins when it does`);
        return fleet;
      }
      // Only a server that answers but is still loading (503) is worth waiting for at the start.
      const loading = results.some((r) => r.status === "rejected" && r.reason instanceof TransportError && r.reason.status === 503);
      if (!loading || Date.now() >= deadline)
        throw new ServersUnavailableError(
          `no server reachable: ${servers.map((s) => `${s.url} (${s.lastError.replace(s.url, "")})`).join("; ")}`,
        );
      options.log(`waiting for the servers to finish loading: ${servers.map((s) => `${s.url} (${s.lastError})`).join("; ")}`);
      await sleep(PROBE_EVERY_MS * 2);
    }
  }

  get capacity(): number {
    return this.servers.reduce((n, s) => n + (s.info ? s.max : 0), 0) || 1;
  }

  get contextSize(): number {
    const sizes = this.servers.map((s) => s.info?.contextSize).filter((n): n is number => typeof n === "number");
    return sizes.length > 0 ? Math.min(...sizes) : this.options.contextSize;
  }

  async withSession<T>(work: (session: ModelSession) => Promise<T>): Promise<T> {
    const session: FleetSession = { contextSize: this.contextSize, generate: (request, signal) => this.generate(session, request, signal) };
    return work(session);
  }

  /** Credits a finished record to the server that made its last call (run.json's per-server records). */
  recordDone(session: ModelSession): void {
    const server = (session as FleetSession).server;
    if (server) server.stats.records++;
  }

  /** run.json: each server with its kind, model and counters. */
  report(): Record<string, unknown>[] {
    return this.servers.map((s) => ({
      url: s.url,
      kind: s.info?.kind ?? null,
      model: s.info?.model ?? null,
      slots: s.max,
      benched_now: s.benched,
      ...s.stats,
      ...(s.lastError ? { last_error: s.lastError } : {}),
    }));
  }

  private async generate(session: FleetSession, request: GenerateRequest, signal?: AbortSignal): Promise<Generated> {
    const started = performance.now();
    for (let tries = 1; ; tries++) {
      const server = await this.acquire(session.server, signal);
      if (!server) return { tokens: [], text: "", finish: "length" }; // aborted: the conversation sees the signal
      session.server = server;
      server.inflight++;
      server.stats.requests++;
      let error: TransportError;
      try {
        const wire = await this.send(server, request, signal);
        const out = finishGeneration(server.url, request, wire);
        server.succeeded();
        server.stats.generated_tokens += out.tokens.length;
        this.account(request, out, wire, started);
        return out;
      } catch (err) {
        if (!(err instanceof TransportError)) throw err;
        error = err;
      } finally {
        server.inflight--;
        this.wake();
      }
      if (error.kind === "aborted" || signal?.aborted) return { tokens: [], text: "", finish: "length" };
      server.stats.errors++;
      const benched = server.failed(error);
      if (benched) {
        this.options.log(`server ${server.url} benched: ${error.message}`);
        this.noteDown();
      }
      if (tries >= MAX_TRIES) throw new StepError(error.code, `${oneLine(error.message)} (${tries} tries)`);
      server.stats.retries++;
      // A benched server's calls move to another at once; a busy or failing one is given time.
      if (!benched)
        await sleep(
          backoffMs(tries, error.retryAfter !== undefined ? Math.min(error.retryAfter, this.options.waitSeconds) : undefined),
          signal,
        );
    }
  }

  private async send(server: Server, request: GenerateRequest, signal?: AbortSignal): Promise<WireResult> {
    const info = server.info as ServerInfo;
    const wire = buildRequest(info.kind, request, info.servedName);
    const url = server.url + wire.path;
    const timeoutMs = (request.timeoutSeconds ?? this.options.timeoutSeconds) * 1000;
    const limits = { timeoutMs, signal, headers: server.headers, maxBytes: answerCapBytes(request.maxTokens) };
    const answer = serverKindSpec(info.kind).answer;
    if ("stream" in answer) {
      const stream = answer.stream(url, request);
      const res = await httpJson("POST", url, wire.body, { ...limits, onEvent: stream.onEvent });
      // A 200 without an event stream: the whole answer in one body.
      if (res.body) stream.onEvent(res.body);
      return stream.result();
    }
    const res = await httpJson("POST", url, wire.body, limits);
    return answer.parse(url, parseJsonBody(url, res.body));
  }

  private account(request: GenerateRequest, out: Generated, wire: WireResult, started: number): void {
    const evaluated = wire.evaluated ?? request.prompt.length;
    this.counters.generated += out.tokens.length;
    this.counters.prompt += evaluated;
    this.counters.calls++;
    this.onCall?.(
      traceEntry(request, {
        generated: out.tokens.length,
        finish: out.finish,
        evaluated,
        seconds: (performance.now() - started) / 1000,
        serverSeconds: wire.serverSeconds,
      }),
    );
  }

  /** A server with room, the session's own first; waits while none has; undefined when aborted. */
  private async acquire(preferred: Server | undefined, signal?: AbortSignal): Promise<Server | undefined> {
    for (;;) {
      if (signal?.aborted) return undefined;
      if (preferred?.free) return preferred;
      const free = this.servers.filter((s) => s.free);
      if (free.length > 0) return free.reduce((a, b) => (a.inflight / a.limit <= b.inflight / b.limit ? a : b));
      if (this.downSince !== null && Date.now() - this.downSince >= this.options.waitSeconds * 1000) {
        const lastErrors = this.servers.map((s) => `${s.url} (${s.lastError.replace(s.url, "") || "benched"})`).join("; ");
        throw new ServersUnavailableError(
          `no server answered for ${this.options.waitSeconds} s (--server-wait): ${lastErrors}; ` +
            `run.json says interrupted, rerun the same command to resume`,
        );
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, PROBE_EVERY_MS);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }

  private noteDown(): void {
    if (this.downSince === null && this.servers.every((s) => s.benched)) {
      this.downSince = Date.now();
      this.options.log(`all servers are down; waiting up to ${this.options.waitSeconds} s for one to come back`);
    }
  }

  /** Health probe of benched servers: one that answers (with the same model) is back. */
  private async probeBenched(): Promise<void> {
    if (this.probing) return;
    this.probing = true;
    try {
      const benched = this.servers.filter((s) => s.benched);
      await Promise.all(
        benched.map(async (server) => {
          try {
            const info = await probeServer(
              server,
              server.info?.kind ?? this.options.kind,
              Math.min(5000, this.options.timeoutSeconds * 1000),
            );
            if (info.model !== this.identity) {
              server.lastError = `serves ${info.model}, not ${this.identity}`;
              return;
            }
            const max = server.max;
            server.setUp(info, this.options.concurrency);
            // Back with half its slots; AIMD grows it again as calls succeed.
            server.limit = Math.max(1, Math.floor((server.info ? server.max : max) / 2));
            server.failures = 0;
            server.benched = false;
            server.stats.restored++;
            this.downSince = null;
            this.options.log(`server ${server.url} is back`);
            this.wake();
          } catch (err) {
            server.lastError = err instanceof Error ? err.message : String(err);
          }
        }),
      );
    } finally {
      this.probing = false;
    }
  }

  async close(): Promise<void> {
    clearInterval(this.probe);
    this.wake();
  }
}
