// The server client's request and answer shapes, checked against each server's documented fields.
// No vLLM or SGLang server ran here (no GPU, no Python serving stack on the CI machine): their
// shapes are checked against their documentation (vLLM: the OpenAI-compatible server's completions
// API with its extra parameters; SGLang: the native /generate API and its sampling parameters), and
// the vLLM and SGLang paths of the client are run against a small stand-in HTTP server that answers
// in those documented shapes. llama-server's path runs against the real llama-server in
// test/fleet.test.ts.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { StepError } from "../../src/generate/model/types.js";
import { parseRetryAfter, TransportError } from "../../src/generate/model/http.js";
import { buildRequest, finishGeneration, LlamaServerStream, parseAnswer, STOP_IDS } from "../../src/generate/model/protocols.js";
import { backoffMs, FleetModel, MAX_TRIES, ServersUnavailableError } from "../../src/generate/model/server.js";
import type { GenerateRequest } from "../../src/generate/model/types.js";
import { getTokenizer, SPECIAL } from "../../src/tokenize/o200k_harmony.js";

const sampling = { temperature: 0.8, topK: 40, topP: 0.95, minP: 0.05 };
const schema = { type: "object", properties: { city: { type: "string", maxLength: 16 } }, required: ["city"], additionalProperties: false };
const prompt = [SPECIAL.start, 1428, SPECIAL.message, 3086, SPECIAL.end, SPECIAL.start, 173781];
const request: GenerateRequest = { prompt, maxTokens: 32, seed: 1234, sampling, schema };
const ids = (text: string) => getTokenizer().encodeText(text);

describe("request shapes", () => {
  it("vLLM: /v1/completions with the prompt as ids, stop_token_ids, return_token_ids, structured_outputs.json, seed and sampling", () => {
    const wire = buildRequest("vllm", request, "openai/gpt-oss-20b");
    expect(wire.path).toBe("/v1/completions");
    expect(wire.body).toMatchObject({
      model: "openai/gpt-oss-20b",
      prompt,
      max_tokens: 32,
      seed: 1234,
      temperature: 0.8,
      top_k: 40,
      top_p: 0.95,
      min_p: 0.05,
      stop_token_ids: [SPECIAL.return, SPECIAL.call, SPECIAL.end],
      return_token_ids: true,
      structured_outputs: { json: schema },
    });
    // The old top-level guided_json was removed in vLLM v0.12.0: never send it.
    expect(wire.body).not.toHaveProperty("guided_json");
    expect(buildRequest("vllm", { ...request, schema: undefined }, "m").body).not.toHaveProperty("structured_outputs");
  });

  it("SGLang: /generate with input_ids and sampling_params, json_schema as a JSON string, sampling_seed", () => {
    const wire = buildRequest("sglang", request, "m");
    expect(wire.path).toBe("/generate");
    expect(wire.body.input_ids).toEqual(prompt);
    const params = wire.body.sampling_params as Record<string, unknown>;
    expect(params).toMatchObject({
      max_new_tokens: 32,
      temperature: 0.8,
      top_k: 40,
      top_p: 0.95,
      min_p: 0.05,
      sampling_seed: 1234,
      stop_token_ids: STOP_IDS,
      skip_special_tokens: false,
    });
    expect(typeof params.json_schema).toBe("string");
    expect(JSON.parse(params.json_schema as string)).toEqual(schema);
  });

  it("llama-server: /completion with prompt ids, n_predict, json_schema as an object, return_tokens and a stream", () => {
    const wire = buildRequest("llama-server", request, "m");
    expect(wire).toMatchObject({ path: "/completion", stream: true });
    expect(wire.body).toMatchObject({
      prompt,
      n_predict: 32,
      seed: 1234,
      json_schema: schema,
      return_tokens: true,
      stream: true,
      top_k: 40,
      min_p: 0.05,
      repeat_penalty: 1,
    });
  });
});

describe("answers", () => {
  const json = ids('{"city":"Oslo"}');

  it("vLLM: choices[0].token_ids, the stop token cut, decoded by our tokenizer; the schema's JSON closed", () => {
    const answer = {
      id: "cmpl-1",
      object: "text_completion",
      choices: [
        { index: 0, text: '{"city":"Oslo"}', token_ids: [...json, SPECIAL.call], finish_reason: "stop", stop_reason: SPECIAL.call },
      ],
      usage: { prompt_tokens: 7, completion_tokens: json.length + 1 },
    };
    const wire = parseAnswer("vllm", "http://v", answer);
    expect(wire).toMatchObject({ stopped: true, evaluated: 7 });
    expect(finishGeneration("http://v", request, wire)).toEqual({ tokens: json, text: '{"city":"Oslo"}', finish: "json" });
  });

  it("SGLang: output_ids and meta_info.finish_reason", () => {
    const answer = {
      text: "Hi there",
      output_ids: [...ids("Hi there"), SPECIAL.end],
      meta_info: {
        id: "x",
        finish_reason: { type: "stop", matched: SPECIAL.end },
        prompt_tokens: 7,
        cached_tokens: 5,
        completion_tokens: 3,
        e2e_latency: 0.25,
      },
    };
    const wire = parseAnswer("sglang", "http://s", answer);
    expect(wire).toMatchObject({ stopped: true, evaluated: 2, serverSeconds: 0.25 });
    expect(finishGeneration("http://s", { ...request, schema: undefined }, wire)).toEqual({
      tokens: ids("Hi there"),
      text: "Hi there",
      finish: "stop",
    });
    const cut = parseAnswer("sglang", "http://s", {
      output_ids: ids("Hi there"),
      meta_info: { finish_reason: { type: "length", length: 3 } },
    });
    expect(finishGeneration("http://s", { ...request, maxTokens: 3, schema: undefined }, cut).finish).toBe("length");
  });

  it("turns bad answers into errors with reasons: no id list, ids outside the vocabulary, an empty generation", () => {
    expect(() => parseAnswer("vllm", "http://v", { choices: [{ text: "hi", finish_reason: "stop" }] })).toThrow(
      /no choices\[0\]\.token_ids id list/,
    );
    expect(() => parseAnswer("sglang", "http://s", "busy")).toThrow(/not a JSON object/);
    const outside = () => finishGeneration("http://v", request, { tokens: [12, 201_088], stopped: true });
    expect(outside).toThrow(TransportError);
    expect(outside).toThrow(/generated id 201088 is outside the o200k_harmony vocabulary/);
    expect(() => finishGeneration("http://v", request, { tokens: [1.5], stopped: true })).toThrow(/outside/);
    const empty = () => finishGeneration("http://v", request, { tokens: [], stopped: false });
    expect(empty).toThrow(/empty generation/);
    try {
      empty();
    } catch (err) {
      expect((err as TransportError).code).toBe("server_bad_answer");
    }
  });

  it("llama-server's stream: stops reading at the first special id; an error event after the whole budget is llama-server's cut-UTF-8 500, so the ids are kept", () => {
    // <|end|>: llama-server would go on, so the client stops reading (and so cancels it).
    const stream = new LlamaServerStream("http://l", { ...request, schema: undefined });
    expect(stream.onEvent(JSON.stringify({ content: "Hi", tokens: ids("Hi"), stop: false }))).toBe(false);
    expect(stream.onEvent(JSON.stringify({ content: "", tokens: [SPECIAL.end], stop: false }))).toBe(true);
    expect(finishGeneration("http://l", request, stream.result())).toMatchObject({ text: "Hi", finish: "stop" });

    // llama-server's last event: the stop id, stop_type and its own timings.
    // <|return|>: llama-server stops by itself; its last event (after the stop id's) has the timings.
    const last = new LlamaServerStream("http://l", request);
    last.onEvent(JSON.stringify({ tokens: ids('{"city":"Oslo"}'), stop: false }));
    expect(last.onEvent(JSON.stringify({ content: "", tokens: [SPECIAL.return], stop: false }))).toBe(false);
    expect(
      last.onEvent(
        JSON.stringify({
          content: "",
          tokens: [],
          stop: true,
          stop_type: "eos",
          timings: { prompt_n: 5, prompt_ms: 40, predicted_n: 6, predicted_ms: 60 },
        }),
      ),
    ).toBe(true);
    expect(last.result()).toMatchObject({ stopped: true, evaluated: 5, serverSeconds: 0.1 });
    expect(finishGeneration("http://l", request, last.result()).finish).toBe("json");

    // The budget's ids are all in: llama-server's last event being its error on a cut UTF-8 ending
    // (its HTTP 500, FLEET.md) takes nothing away.
    const budget = new LlamaServerStream("http://l", { ...request, maxTokens: 2, schema: undefined });
    expect(budget.onEvent(JSON.stringify({ tokens: [72], stop: false }))).toBe(false);
    expect(budget.onEvent(JSON.stringify({ tokens: [73], stop: false }))).toBe(false);
    expect(
      budget.onEvent(
        JSON.stringify({
          error: {
            code: 500,
            message: "The model produced output that does not match the expected Content-only format",
            type: "server_error",
          },
        }),
      ),
    ).toBe(true);
    expect(finishGeneration("http://l", { ...request, maxTokens: 2, schema: undefined }, budget.result())).toMatchObject({
      tokens: [72, 73],
      finish: "length",
    });

    // The model stopped by itself on a cut UTF-8 ending: llama-server streams the ids, not the stop
    // id, then this error; the same seed would give it again, so the ids are kept as a stop.
    const cutStop = new LlamaServerStream("http://l", { ...request, schema: undefined });
    cutStop.onEvent(JSON.stringify({ tokens: [190770, 89509, 18857], stop: false }));
    expect(
      cutStop.onEvent(
        JSON.stringify({
          error: {
            code: 500,
            message: "The model produced output that does not match the expected Content-only format",
            type: "server_error",
          },
        }),
      ),
    ).toBe(true);
    expect(finishGeneration("http://l", { ...request, schema: undefined }, cutStop.result())).toMatchObject({
      tokens: [190770, 89509, 18857],
      finish: "stop",
    });

    const early = new LlamaServerStream("http://l", request);
    early.onEvent(JSON.stringify({ tokens: [72], stop: false }));
    expect(() => early.onEvent(JSON.stringify({ error: { code: 500, message: "boom" } }))).toThrow(/error event: boom/);
    const cut = new LlamaServerStream("http://l", request);
    cut.onEvent(JSON.stringify({ tokens: [72], stop: false }));
    expect(() => cut.result()).toThrow(/stream ended before the generation did/);
  });
});

describe("back-off", () => {
  it("grows exponentially with ±25 % jitter and never undercuts Retry-After", () => {
    expect(backoffMs(1, undefined, () => 0)).toBe(375);
    expect(backoffMs(1, undefined, () => 1)).toBe(625);
    expect(backoffMs(3, undefined, () => 0.5)).toBe(2000);
    expect(backoffMs(20, undefined, () => 0.5)).toBe(30_000);
    expect(backoffMs(1, 7, () => 0.5)).toBe(7000);
    expect(parseRetryAfter("3")).toBe(3);
    expect(parseRetryAfter(new Date(Date.UTC(2026, 0, 1, 0, 0, 10)).toUTCString(), Date.UTC(2026, 0, 1))).toBe(10);
    expect(parseRetryAfter("soon")).toBeUndefined();
  });
});

// --- the client's vLLM and SGLang paths against a stand-in speaking their documented shapes ---

type Handler = (req: IncomingMessage, body: unknown, res: ServerResponse) => void;
const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

async function standIn(handler: Handler): Promise<string> {
  const server = createServer((req, res) => {
    let text = "";
    req.on("data", (d: Buffer) => (text += d));
    req.on("end", () => handler(req, text ? JSON.parse(text) : undefined, res));
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

const send = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
  res.writeHead(status, { "content-type": "application/json", ...headers });
  res.end(JSON.stringify(body));
};
const options = (urls: string[]) => ({
  urls,
  kind: "auto" as const,
  concurrency: 16,
  waitSeconds: 2,
  timeoutSeconds: 5,
  contextSize: 4096,
  log: () => {},
});

describe("the client on vLLM- and SGLang-shaped servers (stand-ins; no real vLLM or SGLang ran here)", () => {
  it("detects vLLM, sends the documented body, honours Retry-After on a 503, and counts the retry", async () => {
    const bodies: Record<string, unknown>[] = [];
    let calls = 0;
    const url = await standIn((req, body, res) => {
      if (req.url === "/health") return send(res, 200, {});
      if (req.url === "/v1/models")
        return send(res, 200, { object: "list", data: [{ id: "gpt-oss-20b", root: "openai/gpt-oss-20b", max_model_len: 8192 }] });
      if (req.url === "/v1/completions") {
        bodies.push(body as Record<string, unknown>);
        if (++calls === 1) return send(res, 503, { error: "busy" }, { "retry-after": "1" });
        return send(res, 200, {
          choices: [{ index: 0, token_ids: [...ids("Hello"), SPECIAL.return], finish_reason: "stop", stop_reason: SPECIAL.return }],
          usage: { prompt_tokens: prompt.length },
        });
      }
      send(res, 404, {});
    });
    const fleet = await FleetModel.connect(options([url]));
    try {
      expect(fleet.name).toBe("openai/gpt-oss-20b");
      expect(fleet.identity).toMatch(/^openai\/gpt-oss-20b #[0-9a-f]{12}$/);
      expect(fleet.capacity).toBe(16);
      const started = Date.now();
      const out = await fleet.withSession((s) => {
        expect(s.contextSize).toBe(8192);
        return s.generate({ ...request, schema: undefined });
      });
      expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
      expect(out).toEqual({ tokens: ids("Hello"), text: "Hello", finish: "stop" });
      expect(bodies[1]).toMatchObject({ model: "gpt-oss-20b", prompt, seed: 1234, return_token_ids: true, stop_token_ids: STOP_IDS });
      expect(fleet.report()[0]).toMatchObject({ kind: "vllm", requests: 2, errors: 1, retries: 1 });
    } finally {
      await fleet.close();
    }
  });

  it("detects SGLang; a server answering 500 every time fails the step with its reason after the tries", async () => {
    let calls = 0;
    const url = await standIn((req, _body, res) => {
      if (req.url === "/health") return send(res, 200, {});
      if (req.url === "/props") return send(res, 404, {});
      if (req.url === "/get_model_info") return send(res, 200, { model_path: "openai/gpt-oss-120b", is_generation: true });
      if (req.url === "/generate") {
        calls++;
        return send(res, 500, { error: "internal" });
      }
      send(res, 404, {});
    });
    const fleet = await FleetModel.connect({ ...options([url]), waitSeconds: 60 });
    try {
      expect(fleet.name).toBe("openai/gpt-oss-120b");
      expect(fleet.identity).toMatch(/^openai\/gpt-oss-120b #[0-9a-f]{12}$/);
      const failing = fleet.withSession((s) => s.generate(request));
      await expect(failing).rejects.toThrow(StepError);
      await expect(failing).rejects.toThrow(/HTTP 500/);
      expect(calls).toBe(MAX_TRIES);
    } finally {
      await fleet.close();
    }
  }, 60_000);

  it("llama-server-shaped: an error event mid-stream is an error with its reason, never a crash; a non-harmony vocabulary is refused", async () => {
    let calls = 0;
    let vocabulary: number[] = [SPECIAL.start, SPECIAL.message, SPECIAL.return, SPECIAL.call];
    const url = await standIn((req, _body, res) => {
      if (req.url === "/health") return send(res, 200, { status: "ok" });
      if (req.url === "/props")
        return send(res, 200, { total_slots: 1, model_path: "/models/gpt-oss-20b.gguf", default_generation_settings: { n_ctx: 4096 } });
      if (req.url === "/tokenize") return send(res, 200, { tokens: vocabulary });
      if (req.url === "/completion") {
        calls++;
        res.writeHead(200, { "content-type": "text/event-stream" });
        res.write(`data: ${JSON.stringify({ content: "H", tokens: [39], stop: false })}\n\n`);
        return res.end(`data: ${JSON.stringify({ error: { code: 500, message: "boom", type: "server_error" } })}\n\n`);
      }
      send(res, 404, {});
    });
    const fleet = await FleetModel.connect({ ...options([url]), waitSeconds: 60 });
    try {
      expect(fleet.name).toBe("gpt-oss-20b.gguf");
      expect(fleet.identity).toMatch(/^gpt-oss-20b\.gguf #[0-9a-f]{12}$/);
      expect(fleet.capacity).toBe(1);
      const failing = fleet.withSession((s) => s.generate(request));
      await expect(failing).rejects.toThrow(/error event: boom \(6 tries\)/);
      expect(calls).toBe(MAX_TRIES);
    } finally {
      await fleet.close();
    }
    vocabulary = [1, 2, 3, 4];
    await expect(FleetModel.connect(options([url]))).rejects.toThrow(/does not use the o200k_harmony tokenizer/);
  }, 60_000);

  it("auto detection asks /props, /get_model_info, then /v1/models; a server that answers none as one is named with them", async () => {
    const asked: string[] = [];
    const url = await standIn((req, _body, res) => {
      asked.push(req.url ?? "");
      send(res, 200, {});
    });
    const connecting = FleetModel.connect(options([url]));
    await expect(connecting).rejects.toThrow(ServersUnavailableError);
    await expect(connecting).rejects.toThrow(
      "not a llama-server, vLLM or SGLang server (none of /props, /get_model_info, /v1/models answered as one)",
    );
    expect(asked).toEqual(["/health", "/props", "/get_model_info", "/v1/models"]);
  });

  it("no server reachable: one error naming every URL and why", async () => {
    const dead = await standIn(() => {});
    const port = Number(new URL(dead).port);
    await new Promise((r) => servers.pop()?.close(r));
    const urls = [`http://127.0.0.1:${port}`, "http://127.0.0.1:9"];
    const connecting = FleetModel.connect(options(urls));
    await expect(connecting).rejects.toThrow(ServersUnavailableError);
    await expect(connecting).rejects.toThrow(
      new RegExp(`no server reachable: http://127.0.0.1:${port} \\(.*ECONNREFUSED.*\\); http://127.0.0.1:9 \\(`),
    );
  });
});
