// SGLang: POST /generate (its native API) with input_ids, sampling_params {max_new_tokens,
// stop_token_ids, json_schema (a JSON string), sampling_seed, …} → output_ids,
// meta_info.finish_reason. Told by /get_model_info (model_path); --concurrency is its number of
// calls in flight.
import { TransportError } from "../transport-error.js";
import { identify, idList, isRecord, type ServerKindSpec, scalarsOf, STOP_IDS } from "./common.js";

export const sglang: ServerKindSpec = {
  name: "SGLang",
  reportsSlots: false,
  detect: { path: "/get_model_info", fits: (v) => isRecord(v) && "model_path" in v },
  probe: async (client) => {
    const info = await client.getJson("/get_model_info");
    if (!isRecord(info) || typeof info.model_path !== "string")
      throw new TransportError("bad_answer", `${client.base}/get_model_info: no model_path`);
    return {
      ...identify(info.model_path, scalarsOf(info, []), false),
      servedName: info.model_path,
      slots: null,
      contextSize: null,
    };
  },
  request: ({ prompt, maxTokens, seed, sampling, schema }) => ({
    path: "/generate",
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
  }),
  answer: {
    parse: (url, json) => {
      if (!isRecord(json)) throw new TransportError("bad_answer", `${url}: the answer is not a JSON object`);
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
    },
  },
};
