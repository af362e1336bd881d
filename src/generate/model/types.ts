// The one model interface the prompt/step logic (conversation.ts) talks to. Two implementations:
// local.ts runs a GGUF in-process through node-llama-cpp; server.ts sends the same token-exact
// requests to llama-server, vLLM or SGLang. Prompts are o200k_harmony token ids we build ourselves,
// generated ids come back as ids, so both give the conversation the same thing.
import type { JsonSchema } from "../../core/record.js";

export interface Sampling {
  temperature: number;
  topK: number;
  topP: number;
  minP: number;
}

export interface GenerateRequest {
  prompt: number[];
  maxTokens: number;
  seed: number;
  sampling: Sampling;
  /** Constrain the output to this JSON Schema (a grammar in-process, each server's own field remotely). */
  schema?: JsonSchema;
  /** Who asked (the record id), for the trace. */
  tag?: string;
  /** A server call's deadline for this request (long-context prompts get more); default --request-timeout. */
  timeoutSeconds?: number;
}

export interface Generated {
  /** Generated ids, without the special token that ended them. */
  tokens: number[];
  text: string;
  /** "stop": a special token ended it; "json": the schema's JSON value closed; "length": maxTokens ran out. */
  finish: "stop" | "json" | "length";
}

/** One generate call as the benchmark replays it: same prompt, schema, seed, and token count. */
export interface TraceEntry {
  tag: string;
  prompt: number[];
  grammar: JsonSchema | null;
  seed: number;
  sampling: Sampling;
  generated: number;
  finish: Generated["finish"];
  /** Prompt tokens evaluated (those after the prefix already in the cache; what the server reports, remotely). */
  evaluated: number;
  /** Wall time of the call (prompt evaluation included). */
  seconds: number;
  /** Remotely: the server's own prompt + generation time for the call, as it reports it. */
  serverSeconds?: number;
}

/** The trace entry of one call: the request's own fields, then what came back. */
export function traceEntry(
  request: GenerateRequest,
  result: Omit<TraceEntry, "tag" | "prompt" | "grammar" | "seed" | "sampling">,
): TraceEntry {
  return {
    tag: request.tag ?? "",
    prompt: request.prompt,
    grammar: request.schema ?? null,
    seed: request.seed,
    sampling: request.sampling,
    ...result,
  };
}

/** Counters shared by all sessions (generated tokens/s is the headline figure). */
export interface TokenCounters {
  generated: number;
  prompt: number;
  calls: number;
}

/** A conversation's handle on the model: one context sequence in-process, a server affinity remotely. */
export interface ModelSession {
  /** Tokens a prompt plus its budget may take. */
  readonly contextSize: number;
  generate(request: GenerateRequest, signal?: AbortSignal): Promise<Generated>;
}

export interface GenerationModel {
  readonly counters: TokenCounters;
  /** Conversations that can usefully run at once. */
  readonly capacity: number;
  /** Where it runs, for the summary: "cpu", "cuda", … or "servers". */
  readonly device: string;
  /** Set by the benchmark to record every call. */
  onCall?: (entry: TraceEntry) => void;
  /** Runs one conversation's work on a session (never more at once than `capacity`). */
  withSession<T>(work: (session: ModelSession) => Promise<T>): Promise<T>;
  /** A record of this session was written or rejected (per-server counts in run.json). */
  recordDone?(session: ModelSession): void;
  close(): Promise<void>;
}

/** A generation step that kept failing after its retries (or a server call that did); `code` is the reject reason. */
export class StepError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}
