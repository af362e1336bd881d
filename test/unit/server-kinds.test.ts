// The server kinds' registry (src/generate/model/servers): the list, the detection order and the
// names in help come from it, and every command's --server-kind takes exactly its choices.
import { Command, type Option } from "commander";
import { describe, expect, it } from "vitest";
import { register as registerEval } from "../../src/cli/commands/eval.js";
import { register as registerGenerate } from "../../src/cli/commands/generate.js";
import { register as registerJudge } from "../../src/cli/commands/judge.js";
import { buildRequest, parseAnswer } from "../../src/generate/model/protocols.js";
import {
  CONCURRENCY_SERVER_NAMES,
  DETECT_ORDER,
  orList,
  SERVER_KIND_CHOICES,
  SERVER_KIND_SPECS,
  SERVER_KINDS,
  SERVER_NAMES,
} from "../../src/generate/model/servers/index.js";
import type { GenerateRequest } from "../../src/generate/model/types.js";

const request: GenerateRequest = { prompt: [1, 2], maxTokens: 4, seed: 1, sampling: { temperature: 0, topK: 1, topP: 1, minP: 0 } };

describe("server kinds", () => {
  it("lists the kinds in registry order, detects the endpoint others share last, and names them for help", () => {
    expect(SERVER_KINDS).toEqual(["llama-server", "vllm", "sglang"]);
    expect(SERVER_KIND_CHOICES).toEqual(["auto", "llama-server", "vllm", "sglang"]);
    // llama-server answers /v1/models too: vLLM's endpoint is asked last.
    expect(DETECT_ORDER).toEqual(["llama-server", "sglang", "vllm"]);
    expect(DETECT_ORDER.map((k) => SERVER_KIND_SPECS[k].detect.path)).toEqual(["/props", "/get_model_info", "/v1/models"]);
    expect(SERVER_NAMES).toBe("llama-server, vLLM or SGLang");
    expect(CONCURRENCY_SERVER_NAMES).toBe("vLLM/SGLang");
    expect([orList([]), orList(["a"]), orList(["a", "b"])]).toEqual(["", "a", "a or b"]);
  });

  it("streams exactly the kinds whose answer is a stream; a streamed kind has no whole-body parser", () => {
    expect(SERVER_KINDS.filter((k) => buildRequest(k, request, "m").stream)).toEqual(["llama-server"]);
    expect(() => parseAnswer("llama-server", "http://l", {})).toThrow(/answers as a stream/);
  });

  it("generate, judge, eval run and eval score take the registry's --server-kind choices", () => {
    const program = new Command("datagen");
    registerGenerate(program);
    registerJudge(program);
    registerEval(program);
    const find = (path: string[]): Command => path.reduce((cmd, name) => cmd.commands.find((c) => c.name() === name) as Command, program);
    const kindOption = (cmd: Command): Option | undefined => cmd.options.find((o) => o.long === "--server-kind");
    for (const path of [["generate"], ["judge"], ["eval", "run"], ["eval", "score"]]) {
      expect(kindOption(find(path))?.argChoices, path.join(" ")).toEqual(SERVER_KIND_CHOICES);
    }
    expect(kindOption(find(["judge"]))?.defaultValue).toBe("auto");
  });
});
