// What each server kind is sent and what comes back, as pure functions (unit-tested against the
// servers' documented fields in test/fleet-protocols.test.ts). Common to all: the prompt is our
// o200k_harmony ids, the generated ids come back and our tokenizer decodes them, generation stops on
// <|return|>, <|call|> and <|end|> by id, the JSON Schema goes in the server's own field, and the
// sampling settings and the per-call seed are sent. Field names (see docs/FLEET-SERVERS in README):
// - llama-server POST /completion: prompt [ids], n_predict, json_schema {…}, seed, return_tokens,
//   stream (every event carries its ids; it has no stop-by-id, so the client closes the stream at
//   the first special id, which also ends an <|end|> step without waiting for n_predict).
// - vLLM POST /v1/completions: prompt [ids], max_tokens, stop_token_ids, return_token_ids →
//   choices[0].token_ids, structured_outputs {json}, seed, top_k, min_p (vLLM extensions).
// - SGLang POST /generate: input_ids, sampling_params {max_new_tokens, stop_token_ids, json_schema
//   (a JSON string), sampling_seed, …} → output_ids, meta_info.finish_reason.
import { N_VOCAB, SPECIAL, getTokenizer } from "../../tokenize/o200k_harmony.js";
import { TransportError } from "./http.js";
import type { Generated, GenerateRequest } from "./types.js";

export type ServerKind = "llama-server" | "vllm" | "sglang";
export const SERVER_KINDS: ServerKind[] = ["llama-server", "vllm", "sglang"];

/** Every step ends one harmony message: the final channel with <|return|>, a tool call with <|call|>, analysis with <|end|>. */
export const STOP_IDS = [SPECIAL.return, SPECIAL.call, SPECIAL.end];

export interface WireRequest {
  path: string;
  body: Record<string, unknown>;
  /** llama-server: read the answer as server-sent events. */
  stream: boolean;
}

/** What a server said, before our own checks. */
export interface WireResult {
  tokens: number[];
  /** The server says a stop token (or the grammar's end) ended it, not the budget. */
  stopped: boolean;
  /** Prompt tokens the server evaluated (not served from its cache), when it says. */
  evaluated?: number;
  /** The server's own prompt + generation time, when it says. */
  serverSeconds?: number;
}

/** The request body for one generate call on `kind`; `model` is the name vLLM serves under. */
export function buildRequest(kind: ServerKind, request: GenerateRequest, model: string): WireRequest {
  const { prompt, maxTokens, seed, sampling, schema } = request;
  switch (kind) {
    case "llama-server":
      return {
        path: "/completion",
        stream: true,
        body: {
          prompt,
          n_predict: maxTokens,
          seed,
          temperature: sampling.temperature,
          top_k: sampling.topK,
          top_p: sampling.topP,
          min_p: sampling.minP,
          // The in-process sampler has no repetition penalty; llama-server's documented default is 1.1.
          repeat_penalty: 1,
          return_tokens: true,
          cache_prompt: true,
          stream: true,
          ...(schema ? { json_schema: schema } : {}),
        },
      };
    case "vllm":
      return {
        path: "/v1/completions",
        stream: false,
        body: {
          model,
          prompt,
          max_tokens: maxTokens,
          seed,
          temperature: sampling.temperature,
          top_k: sampling.topK,
          top_p: sampling.topP,
          min_p: sampling.minP,
          repetition_penalty: 1,
          stop_token_ids: STOP_IDS,
          return_token_ids: true,
          skip_special_tokens: false,
          ...(schema ? { structured_outputs: { json: schema } } : {}),
        },
      };
    case "sglang":
      return {
        path: "/generate",
        stream: false,
        body: {
          input_ids: prompt,
          sampling_params: {
            max_new_tokens: maxTokens,
            temperature: sampling.temperature,
            top_k: sampling.topK,
            top_p: sampling.topP,
            min_p: sampling.minP,
            repetition_penalty: 1,
            sampling_seed: seed,
            stop_token_ids: STOP_IDS,
            skip_special_tokens: false,
            no_stop_trim: true,
            ...(schema ? { json_schema: JSON.stringify(schema) } : {}),
          },
        },
      };
  }
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

function idList(url: string, value: unknown, field: string): number[] {
  if (!Array.isArray(value)) throw new TransportError("bad_answer", `${url}: the answer has no ${field} id list`);
  return value as number[];
}

/** A non-streamed vLLM or SGLang answer → ids and whether a stop ended it. */
export function parseAnswer(kind: Exclude<ServerKind, "llama-server">, url: string, json: unknown): WireResult {
  if (!isRecord(json)) throw new TransportError("bad_answer", `${url}: the answer is not a JSON object`);
  if (kind === "vllm") {
    const choice = Array.isArray(json.choices) && isRecord(json.choices[0]) ? json.choices[0] : null;
    if (!choice) throw new TransportError("bad_answer", `${url}: the answer has no choices[0]`);
    const usage = isRecord(json.usage) ? json.usage : {};
    return {
      tokens: idList(url, choice.token_ids, "choices[0].token_ids"),
      stopped: choice.finish_reason === "stop",
      evaluated: typeof usage.prompt_tokens === "number" ? usage.prompt_tokens : undefined,
    };
  }
  const meta = isRecord(json.meta_info) ? json.meta_info : {};
  const reason = isRecord(meta.finish_reason) ? meta.finish_reason.type : meta.finish_reason;
  const prompt = typeof meta.prompt_tokens === "number" ? meta.prompt_tokens : undefined;
  const cached = typeof meta.cached_tokens === "number" ? meta.cached_tokens : 0;
  return {
    tokens: idList(url, json.output_ids, "output_ids"),
    stopped: reason === "stop",
    evaluated: prompt === undefined ? undefined : prompt - cached,
    serverSeconds: typeof meta.e2e_latency === "number" ? meta.e2e_latency : undefined,
  };
}

/**
 * llama-server's event stream for one call. llama-server stops by itself at <|return|> and
 * <|call|> (a schema's grammar ends in one) and at the budget; then the stream is read to its last
 * event, which carries the server's timings. Any other special id (<|end|>, which llama-server does
 * not stop at) ends the call here: reading stops and the closed connection cancels the rest. When
 * the text ends in a cut UTF-8 sequence, llama-server's last event is an error (its HTTP 500,
 * FLEET.md), sent after every id: the generation is kept, as ended by the budget or by a stop.
 */
export class LlamaServerStream {
  readonly tokens: number[] = [];
  stopped = false;
  /** Every generated id is in (a stop id or the budget); only the server's last event may follow. */
  complete = false;
  done = false;
  evaluated?: number;
  serverSeconds?: number;

  constructor(
    private readonly url: string,
    private readonly request: GenerateRequest,
  ) {}

  /** Takes one event's data; true = stop reading. */
  onEvent = (data: string): boolean => {
    let event: unknown;
    try {
      event = JSON.parse(data);
    } catch {
      throw new TransportError("bad_answer", `${this.url}: a stream event is not JSON: ${data.slice(0, 120)}`);
    }
    if (!isRecord(event)) throw new TransportError("bad_answer", `${this.url}: a stream event is not a JSON object`);
    if (event.error !== undefined) {
      if (this.complete) return (this.done = true);
      const error = isRecord(event.error) ? event.error : {};
      const message = String(error.message ?? JSON.stringify(event.error));
      // The cut-UTF-8 case when the model stopped by itself: llama-server does not stream the stop
      // id and sends this error instead of its last event. The same seed gives it again, so retrying
      // cannot help; the ids are all here and the generation had ended at a stop.
      if (CUT_UTF8_ERROR.test(message) && this.tokens.length > 0) {
        this.stopped = true;
        return (this.done = true);
      }
      throw new TransportError(
        "http",
        `${this.url}: error event: ${message.slice(0, 200)}`,
        typeof error.code === "number" ? error.code : 500,
      );
    }
    const timings = isRecord(event.timings) ? event.timings : null;
    if (timings && typeof timings.prompt_ms === "number" && typeof timings.predicted_ms === "number")
      this.serverSeconds = (timings.prompt_ms + timings.predicted_ms) / 1000;
    if (timings && typeof timings.prompt_n === "number") this.evaluated = timings.prompt_n;
    if (!this.complete) {
      for (const id of idList(this.url, event.tokens ?? [], "tokens")) {
        this.tokens.push(id);
        if (isStopId(id) && id !== SPECIAL.return && id !== SPECIAL.call) return (this.done = true);
        if (isStopId(id) || this.tokens.length >= this.request.maxTokens) {
          this.complete = true;
          break;
        }
      }
    }
    if (event.stop === true) {
      this.stopped = event.stop_type === "eos" || event.stop_type === "word";
      return (this.done = true);
    }
    return false;
  };

  result(): WireResult {
    if (!this.done && !this.complete) throw new TransportError("reset", `${this.url}: the stream ended before the generation did`);
    return { tokens: this.tokens, stopped: this.stopped, evaluated: this.evaluated, serverSeconds: this.serverSeconds };
  }
}

/** llama-server's error when the generated text ends in an incomplete UTF-8 sequence (common/chat.cpp). */
const CUT_UTF8_ERROR = /does not match the expected Content-only format/;

/** Ids at or above <|startoftext|> are special: none is text. */
const isStopId = (id: number): boolean => id >= SPECIAL.startoftext;

/**
 * Our checks on what any server returned (servers fail open): every id in the vocabulary, cut at
 * the first special id, decoded by our tokenizer; a schema's JSON must have closed (the conversation
 * then checks it against the tool's schema, as in-process).
 */
export function finishGeneration(url: string, request: GenerateRequest, wire: WireResult): Generated {
  for (const id of wire.tokens) {
    if (!Number.isInteger(id) || id < 0 || id >= N_VOCAB)
      throw new TransportError(
        "bad_answer",
        `${url}: generated id ${JSON.stringify(id)} is outside the o200k_harmony vocabulary (0..${N_VOCAB - 1})`,
      );
  }
  const stopAt = wire.tokens.findIndex(isStopId);
  const tokens = stopAt === -1 ? wire.tokens.slice(0, request.maxTokens) : wire.tokens.slice(0, stopAt);
  if (stopAt === -1 && wire.tokens.length === 0 && !wire.stopped)
    throw new TransportError("bad_answer", `${url}: empty generation (no ids and no stop)`);
  const text = getTokenizer().decode(tokens);
  let finish: Generated["finish"] = stopAt !== -1 || wire.stopped ? "stop" : "length";
  if (request.schema && parsesAsJson(text)) finish = "json";
  return { tokens, text, finish };
}

function parsesAsJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}
