// vLLM: POST /v1/completions (its OpenAI-compatible server) with prompt [ids], max_tokens,
// stop_token_ids, return_token_ids → choices[0].token_ids, structured_outputs {json}, seed, top_k,
// min_p (vLLM extensions). Told by /v1/models, which llama-server answers too; --concurrency is its
// number of calls in flight.
import { TransportError } from "../transport-error.js";
import { identify, idList, isRecord, MAX_CONTEXT, reportedCount, type ServerKindSpec, scalarsOf, STOP_IDS } from "./common.js";

export const vllm: ServerKindSpec = {
  name: "vLLM",
  reportsSlots: false,
  detect: { path: "/v1/models", fits: (v) => isRecord(v) && Array.isArray(v.data), shared: true },
  probe: async (client) => {
    const models = await client.getJson("/v1/models");
    const first = isRecord(models) && Array.isArray(models.data) && isRecord(models.data[0]) ? models.data[0] : null;
    if (!first || typeof first.id !== "string") throw new TransportError("bad_answer", `${client.base}/v1/models: no model listed`);
    const name = typeof first.root === "string" ? first.root : first.id;
    // Everything it lists but what changes on each start (created, permission ids).
    const reported = scalarsOf(first, ["created", "permission"]);
    return {
      ...identify(name, reported, false),
      servedName: first.id,
      slots: null,
      contextSize: reportedCount(first.max_model_len, MAX_CONTEXT),
    };
  },
  request: ({ prompt, maxTokens, seed, sampling, schema }, model) => ({
    path: "/v1/completions",
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
  }),
  answer: {
    parse: (url, json) => {
      if (!isRecord(json)) throw new TransportError("bad_answer", `${url}: the answer is not a JSON object`);
      const choice = Array.isArray(json.choices) && isRecord(json.choices[0]) ? json.choices[0] : null;
      if (!choice) throw new TransportError("bad_answer", `${url}: the answer has no choices[0]`);
      const usage = isRecord(json.usage) ? json.usage : {};
      return {
        tokens: idList(url, choice.token_ids, "choices[0].token_ids"),
        stopped: choice.finish_reason === "stop",
        evaluated: typeof usage.prompt_tokens === "number" ? usage.prompt_tokens : undefined,
      };
    },
  },
};
