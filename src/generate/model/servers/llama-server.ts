// llama-server (llama.cpp): POST /completion with prompt [ids], n_predict, json_schema {…}, seed,
// return_tokens, stream (every event carries its ids; it has no stop-by-id, so the client closes
// the stream at the first special id, which also ends an <|end|> step without waiting for
// n_predict). Told by /props (total_slots); its slots are its own.
import { basename } from "node:path";
import { UsageError } from "../../../core/errors.js";
import { SPECIAL } from "../../../tokenize/o200k_harmony.js";
import { TransportError } from "../transport-error.js";
import type { GenerateRequest } from "../types.js";
import {
  type AnswerStream,
  identify,
  idList,
  isRecord,
  isStopId,
  MAX_CONTEXT,
  MAX_SERVER_SLOTS,
  pick,
  reportedCount,
  type ServerClient,
  type ServerKindSpec,
  sha256,
  type WireResult,
} from "./common.js";

export const llamaServer: ServerKindSpec = {
  name: "llama-server",
  reportsSlots: true,
  detect: { path: "/props", fits: (v) => isRecord(v) && "total_slots" in v },
  probe: async (client) => {
    const base = client.base;
    const props = await client.getJson("/props");
    if (!isRecord(props) || typeof props.total_slots !== "number")
      throw new TransportError("bad_answer", `${base}/props: no total_slots; is this a llama-server?`);
    const slots = reportedCount(props.total_slots, MAX_SERVER_SLOTS);
    if (slots === null)
      throw new TransportError("bad_answer", `${base}/props: total_slots ${JSON.stringify(props.total_slots)} is not a positive integer`);
    await checkHarmonyIds(client);
    const settings = isRecord(props.default_generation_settings) ? props.default_generation_settings : {};
    // /v1/models carries what the GGUF is (parameters, vocabulary, bytes); older builds lack it.
    const listed = await client.getJson("/v1/models").catch((err: unknown) => {
      if (err instanceof UsageError) throw err;
      return null;
    });
    const first = isRecord(listed) && Array.isArray(listed.data) && isRecord(listed.data[0]) ? listed.data[0] : {};
    const meta = isRecord(first.meta) ? first.meta : {};
    const file = typeof props.model_path === "string" ? basename(props.model_path) : "unknown";
    const reported = {
      model_file: file,
      ...pick(meta, ["n_params", "n_vocab", "n_ctx_train", "n_embd", "size", "vocab_type"]),
      ...(typeof props.chat_template === "string" ? { chat_template_sha256: sha256(props.chat_template).slice(0, 16) } : {}),
    };
    const distinctive = ["n_params", "size"].some((k) => k in reported);
    return {
      ...identify(file, reported, distinctive),
      servedName: file,
      slots,
      contextSize: reportedCount(settings.n_ctx, MAX_CONTEXT),
    };
  },
  request: ({ prompt, maxTokens, seed, sampling, schema }) => ({
    path: "/completion",
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
  }),
  answer: { stream: (url, request) => new LlamaServerStream(url, request) },
};

/** Our prompts are o200k_harmony ids: the server's vocabulary must put the harmony markers where we do. */
async function checkHarmonyIds(client: ServerClient): Promise<void> {
  const expected = [SPECIAL.start, SPECIAL.message, SPECIAL.return, SPECIAL.call];
  const body = { content: "<|start|><|message|><|return|><|call|>", parse_special: true };
  const got = ((await client.postJson("/tokenize", body)) as { tokens?: unknown }).tokens;
  if (JSON.stringify(got) !== JSON.stringify(expected)) {
    throw new UsageError(
      `${client.base}: the server's model does not use the o200k_harmony tokenizer (<|start|><|message|><|return|><|call|> → ` +
        `${JSON.stringify(got)}, expected ${JSON.stringify(expected)}); generate needs a gpt-oss model`,
    );
  }
}

/**
 * llama-server's event stream for one call. llama-server stops by itself at <|return|> and
 * <|call|> (a schema's grammar ends in one) and at the budget; then the stream is read to its last
 * event, which carries the server's timings. Any other special id (<|end|>, which llama-server does
 * not stop at) ends the call here: reading stops and the closed connection cancels the rest. When
 * the text ends in a cut UTF-8 sequence, llama-server's last event is an error (its HTTP 500,
 * FLEET.md), sent after every id: the generation is kept, as ended by the budget or by a stop.
 */
export class LlamaServerStream implements AnswerStream {
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
