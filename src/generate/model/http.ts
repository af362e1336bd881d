// The few HTTP calls the server client makes, on node:http with keep-alive, each with a deadline.
// Every failure becomes a TransportError that says what went wrong in one line (refused, reset,
// timeout, HTTP status with the start of its body, a body that is not JSON), so the scheduler can
// decide: retry, back off, or bench the server.
import { Agent, request as httpRequest, type IncomingMessage } from "node:http";
import { Agent as HttpsAgent, request as httpsRequest } from "node:https";

export type FailureKind = "refused" | "reset" | "timeout" | "http" | "bad_answer" | "aborted";

export class TransportError extends Error {
  constructor(
    readonly kind: FailureKind,
    message: string,
    /** HTTP status, when there was one. */
    readonly status?: number,
    /** Seconds the server asked us to wait (Retry-After). */
    readonly retryAfter?: number,
  ) {
    super(message);
  }

  /** A stable reason code for logs, run.json and rejects. */
  get code(): string {
    return this.kind === "http" ? `server_http_${this.status}` : `server_${this.kind}`;
  }
}

const agents = { http: new Agent({ keepAlive: true }), https: new HttpsAgent({ keepAlive: true }) };

export interface HttpOptions {
  timeoutMs: number;
  signal?: AbortSignal;
  /** Streaming: called for each server-sent event's data; return true to stop reading (the request is closed). */
  onEvent?: (data: string) => boolean;
}

export interface HttpResult {
  status: number;
  body: string;
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
  if (code === "ECONNREFUSED" || code === "ENOTFOUND" || code === "EAI_AGAIN" || code === "EHOSTUNREACH" || code === "ENETUNREACH") return new TransportError("refused", `${url}: cannot connect (${code})`);
  return new TransportError("reset", `${url}: connection failed (${code || err.message})`);
}

/** GET or POST JSON; resolves with any HTTP status (the caller decides), rejects with a TransportError. */
export function httpJson(method: "GET" | "POST", url: string, body: unknown, options: HttpOptions): Promise<HttpResult> {
  return new Promise((resolve, reject) => {
    const target = new URL(url);
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const send = target.protocol === "https:" ? httpsRequest : httpRequest;
    let settled = false;
    const finish = (error: TransportError | null, result?: HttpResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      options.signal?.removeEventListener("abort", onAbort);
      if (error) reject(error);
      else resolve(result as HttpResult);
    };
    const req = send(target, {
      method,
      agent: target.protocol === "https:" ? agents.https : agents.http,
      headers: { accept: options.onEvent ? "text/event-stream" : "application/json", ...(payload ? { "content-type": "application/json", "content-length": payload.length } : {}) },
    });
    const timer = setTimeout(() => {
      finish(new TransportError("timeout", `${url}: no complete answer within ${options.timeoutMs / 1000} s`));
      req.destroy();
    }, options.timeoutMs);
    const onAbort = () => {
      finish(new TransportError("aborted", `${url}: aborted`));
      req.destroy();
    };
    if (options.signal?.aborted) return onAbort();
    options.signal?.addEventListener("abort", onAbort, { once: true });
    req.on("error", (err) => finish(classify(err, url)));
    req.on("response", (res: IncomingMessage) => {
      const status = res.statusCode ?? 0;
      const streaming = options.onEvent && status === 200 && String(res.headers["content-type"]).startsWith("text/event-stream");
      let text = "";
      let pending = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => {
        if (!streaming) {
          text += chunk;
          return;
        }
        pending += chunk;
        // Events end with a blank line; a "data:" line carries the payload, ":" lines are pings.
        for (let end = pending.indexOf("\n\n"); end !== -1; end = pending.indexOf("\n\n")) {
          const event = pending.slice(0, end);
          pending = pending.slice(end + 2);
          const data = event.split("\n").filter((l) => l.startsWith("data:")).map((l) => l.slice(5).trimStart()).join("\n");
          let stop: boolean;
          try {
            stop = data !== "" && (options.onEvent as (d: string) => boolean)(data);
          } catch (err) {
            // A bad or error event ends the call with that error (never an exception in this handler).
            finish(err instanceof TransportError ? err : new TransportError("bad_answer", `${url}: ${String(err)}`));
            req.destroy();
            return;
          }
          if (stop) {
            finish(null, { status, body: "" });
            req.destroy();
            return;
          }
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
