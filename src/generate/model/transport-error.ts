// What can go wrong talking to a server, as one error class with a stable reason code. Apart from
// http.ts (which re-exports it) so that the server kinds (servers/), which `datagen` loads at start
// for the --server-kind choices, do not load node:http and node:https with it.

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
