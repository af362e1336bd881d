// What a server is sent and what comes back, through the server kinds' registry (servers/: each
// kind's request and answer, with the wire fields it uses), and the checks every answer goes
// through here, whatever the kind (unit-tested against the servers' documented fields in
// test/fleet/fleet-protocols.test.ts).
import { N_VOCAB, getTokenizer } from "../../tokenize/o200k_harmony.js";
import { isStopId, type WireRequest, type WireResult } from "./servers/common.js";
import { type ServerKind, serverKindSpec } from "./servers/index.js";
import { TransportError } from "./transport-error.js";
import type { Generated, GenerateRequest } from "./types.js";

export { STOP_IDS, type WireRequest, type WireResult } from "./servers/common.js";
export { LlamaServerStream } from "./servers/llama-server.js";

/** The request for one generate call on `kind`; `model` is the name the server serves under. */
export function buildRequest(kind: ServerKind, request: GenerateRequest, model: string): WireRequest {
  const spec = serverKindSpec(kind);
  return { ...spec.request(request, model), stream: "stream" in spec.answer };
}

/** A non-streamed answer (vLLM, SGLang) → ids and whether a stop ended it. */
export function parseAnswer(kind: ServerKind, url: string, json: unknown): WireResult {
  const answer = serverKindSpec(kind).answer;
  if (!("parse" in answer)) throw new Error(`${kind} answers as a stream, not in one body`);
  return answer.parse(url, json);
}

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
