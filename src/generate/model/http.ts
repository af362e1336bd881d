// The few HTTP calls the server client makes, on node:http with keep-alive, each with a deadline.
// Every failure becomes a TransportError that says what went wrong in one line (refused, reset,
// timeout, HTTP status with the start of its body, a body that is not JSON), so the scheduler can
// decide: retry, back off, or bench the server.
import { Agent, request as httpRequest, type IncomingMessage } from "node:http";
import { Agent as HttpsAgent, request as httpsRequest } from "node:https";
import { TransportError } from "./transport-error.js";

export { type FailureKind, TransportError } from "./transport-error.js";

const agents = { http: new Agent({ keepAlive: true }), https: new HttpsAgent({ keepAlive: true }) };

export interface HttpOptions {
  timeoutMs: number;
  signal?: AbortSignal;
  /** Streaming: called for each server-sent event's data; return true to stop reading (the request is closed). */
  onEvent?: (data: string) => boolean;
  /** Sent with the request (Authorization); never part of a message. */
  headers?: Record<string, string>;
  /** The most bytes the answer may have (a whole body, or a whole event stream); more ends the call. */
  maxBytes?: number;
}

export interface HttpResult {
  status: number;
  body: string;
}

/** An answer to a probe (health, props, model list) is small; 4 MiB leaves room for a long chat template. */
export const PROBE_MAX_BYTES = 4 << 20;
/** What an error answer is kept of: its start is all a message shows. */
const ERROR_BODY_BYTES = 4096;

/**
 * The size cap of a generate call's answer: 1 MiB plus 4 KiB per token of its budget. One token of
 * any server's answer (an id, its text, llama-server's per-token event with timings) is well under
 * 4 KiB; a server that sends more is broken or hostile, and the call fails instead of the process.
 */
export function answerCapBytes(maxTokens: number): number {
  return (1 << 20) + 4096 * Math.max(1, maxTokens);
}

/** Seconds from a Retry-After header (delta-seconds or an HTTP date). */
export function parseRetryAfter(value: string | string[] | undefined, now = Date.now()): number | undefined {
  const text = Array.isArray(value) ? value[0] : value;
  if (!text) return undefined;
  if (/^\d+(\.\d+)?$/.test(text.trim())) return Number(text.trim());
  const date = Date.parse(text);
  return Number.isNaN(date) ? undefined : Math.max(0, (date - now) / 1000);
}

function classify(err: NodeJS.ErrnoException, url: string): TransportError {
  const code = err.code ?? "";
  if (code === "ECONNREFUSED" || code === "ENOTFOUND" || code === "EAI_AGAIN" || code === "EHOSTUNREACH" || code === "ENETUNREACH")
    return new TransportError("refused", `${url}: cannot connect (${code})`);
  return new TransportError("reset", `${url}: connection failed (${code || err.message})`);
}

/**
 * Server-sent events, parsed as the bytes come: each chunk is searched for the end of an event
 * (a blank line) only where it could be, the end of the previous chunk on, so a stream costs time
 * in proportion to its size however long an event grows.
 */
class EventSplitter {
  private pending = "";
  /** Where the search for the next "\n\n" resumes: everything before has none. */
  private searched = 0;

  constructor(private readonly onEvent: (data: string) => boolean) {}

  /** True once onEvent asked to stop. */
  push(chunk: string): boolean {
    this.pending += chunk;
    let start = 0;
    for (let end = this.pending.indexOf("\n\n", this.searched); end !== -1; end = this.pending.indexOf("\n\n", start)) {
      const event = this.pending.slice(start, end);
      start = end + 2;
      // A "data:" line carries the payload, ":" lines are pings.
      const data = event
        .split("\n")
        .filter((l) => l.startsWith("data:"))
        .map((l) => l.slice(5).trimStart())
        .join("\n");
      if (data !== "" && this.onEvent(data)) return true;
    }
    if (start > 0) this.pending = this.pending.slice(start);
    this.searched = Math.max(0, this.pending.length - 1);
    return false;
  }
}

/** GET or POST JSON; resolves with any HTTP status (the caller decides), rejects with a TransportError. */
export function httpJson(method: "GET" | "POST", url: string, body: unknown, options: HttpOptions): Promise<HttpResult> {
  return new Promise((resolve, reject) => {
    const target = new URL(url);
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const send = target.protocol === "https:" ? httpsRequest : httpRequest;
    const maxBytes = options.maxBytes ?? PROBE_MAX_BYTES;
    const deadline = Date.now() + options.timeoutMs;
    let settled = false;
    const finish = (error: TransportError | null, result?: HttpResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      options.signal?.removeEventListener("abort", onAbort);
      if (error) reject(error);
      else resolve(result as HttpResult);
    };
    const fail = (error: TransportError) => {
      finish(error);
      req.destroy();
    };
    const req = send(target, {
      method,
      agent: target.protocol === "https:" ? agents.https : agents.http,
      headers: {
        accept: options.onEvent ? "text/event-stream" : "application/json",
        ...(payload ? { "content-type": "application/json", "content-length": payload.length } : {}),
        ...options.headers,
      },
    });
    const timedOut = () => fail(new TransportError("timeout", `${url}: no complete answer within ${options.timeoutMs / 1000} s`));
    const timer = setTimeout(timedOut, options.timeoutMs);
    const onAbort = () => fail(new TransportError("aborted", `${url}: aborted`));
    if (options.signal?.aborted) return onAbort();
    options.signal?.addEventListener("abort", onAbort, { once: true });
    req.on("error", (err) => finish(classify(err, url)));
    req.on("response", (res: IncomingMessage) => {
      const status = res.statusCode ?? 0;
      const streaming = options.onEvent && status === 200 && String(res.headers["content-type"]).startsWith("text/event-stream");
      const declared = Number(res.headers["content-length"]);
      if (status < 400 && declared > maxBytes) return fail(tooLarge(url, maxBytes));
      const events = streaming ? new EventSplitter(options.onEvent as (d: string) => boolean) : null;
      let text = "";
      let bytes = 0;
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => {
        if (settled) return;
        bytes += Buffer.byteLength(chunk);
        // An error answer is only quoted: keep its start, read (and drop) the rest.
        if (status >= 400) {
          if (text.length < ERROR_BODY_BYTES) text += chunk.slice(0, ERROR_BODY_BYTES - text.length);
          if (bytes > maxBytes) fail(tooLarge(url, maxBytes));
          return;
        }
        if (bytes > maxBytes) return fail(tooLarge(url, maxBytes));
        // A server that keeps the data coming can starve the timer: the deadline is checked here too.
        if (Date.now() >= deadline) return timedOut();
        if (!events) {
          text += chunk;
          return;
        }
        let stop: boolean;
        try {
          stop = events.push(chunk);
        } catch (err) {
          // A bad or error event ends the call with that error (never an exception in this handler).
          return fail(err instanceof TransportError ? err : new TransportError("bad_answer", `${url}: ${String(err)}`));
        }
        if (stop) {
          finish(null, { status, body: "" });
          req.destroy();
        }
      });
      res.on("end", () => {
        if (status >= 400 || (!streaming && status !== 200)) {
          const retryAfter = parseRetryAfter(res.headers["retry-after"]);
          return finish(new TransportError("http", `${url}: HTTP ${status}${text ? `: ${oneLine(text)}` : ""}`, status, retryAfter));
        }
        finish(null, { status, body: text });
      });
      res.on("error", (err) => finish(classify(err as NodeJS.ErrnoException, url)));
      res.on("aborted", () => finish(new TransportError("reset", `${url}: the answer was cut off`)));
    });
    req.end(payload);
  });
}

function tooLarge(url: string, maxBytes: number): TransportError {
  return new TransportError(
    "bad_answer",
    `${url}: the answer is larger than ${maxBytes} bytes (the cap for this call); the server is misbehaving`,
  );
}

/** The first 200 characters of a body on one line, for messages. */
export function oneLine(text: string): string {
  const flat = text.replace(/\s+/g, " ").trim();
  return flat.length > 200 ? `${flat.slice(0, 200)}…` : flat;
}

/** Parses a JSON answer or throws a bad_answer TransportError naming the URL. */
export function parseJsonBody(url: string, body: string): unknown {
  try {
    return JSON.parse(body) as unknown;
  } catch {
    throw new TransportError("bad_answer", `${url}: the answer is not JSON: ${oneLine(body) || "(empty)"}`);
  }
}
