// The judge's model: the same interface as generate's (generate/model/types.ts): a GGUF in-process
// (--model, or the built-in smoke model with --smoke-model) or a fleet of servers (--server URL…).
import { createHash } from "node:crypto";
import { createReadStream, existsSync } from "node:fs";
import { UsageError } from "../core/errors.js";
import type { GpuChoice } from "../generate/config.js";
import { FleetModel } from "../generate/model/server.js";
import type { ServerKindChoice } from "../generate/model/servers/index.js";
import type { GenerationModel } from "../generate/model/types.js";
import { ensureSmokeModel } from "../model/smoke.js";

export interface JudgeModelSettings {
  /** A GGUF path, "smoke" for the built-in smoke model, or null (servers, or rules only). */
  model: string | null;
  servers: string[];
  serverKind: ServerKindChoice;
  /** Sequences in-process; calls per server of a kind that reports no slots (vLLM, SGLang). */
  concurrency: number;
  threads: number | null;
  gpu: GpuChoice;
  contextSize: number;
  serverWaitSeconds: number;
  requestTimeoutSeconds: number;
}

export interface OpenedJudgeModel {
  model: GenerationModel;
  /** sha256:<hex> of the GGUF, or served:<name>: recorded in meta.judge.judge.model. */
  identity: string;
  smoke: boolean;
  path: string | null;
}

export const SMOKE_MODEL = "smoke";

export async function openJudgeModel(s: JudgeModelSettings, log: (line: string) => void): Promise<OpenedJudgeModel | null> {
  if (s.servers.length > 0) {
    const model = await FleetModel.connect({
      urls: s.servers,
      kind: s.serverKind,
      concurrency: s.concurrency,
      waitSeconds: s.serverWaitSeconds,
      timeoutSeconds: s.requestTimeoutSeconds,
      contextSize: s.contextSize,
      log,
    });
    const n = s.servers.length;
    log(`judging on ${n} server${n > 1 ? "s" : ""} serving ${model.identity} (${model.capacity} calls at once)`);
    return { model, identity: `served:${model.identity}`, smoke: false, path: null };
  }
  if (s.model === null) return null;
  const smoke = s.model === SMOKE_MODEL;
  const path = smoke ? await ensureSmokeModel() : s.model;
  if (!existsSync(path)) throw new UsageError(`model file not found: ${path}`);
  if (smoke) {
    log(
      "note: --smoke-model: the built-in smoke model has random weights, so its verdicts are noise " +
        "(schema-valid ones score at random, the rest are recorded as unusable); it exercises the plumbing only",
    );
  }
  const { LocalModel, physicalCores } = await import("../generate/model/local.js");
  const threads = s.threads ?? (smoke ? 1 : physicalCores());
  const load = LocalModel.load({ modelPath: path, gpu: s.gpu, threads, sequences: s.concurrency, contextSize: s.contextSize });
  const [sha, model] = await Promise.all([sha256File(path), load]);
  return { model, identity: `sha256:${sha}`, smoke, path };
}

async function sha256File(path: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 22 })) hash.update(chunk as Buffer);
  return hash.digest("hex");
}
