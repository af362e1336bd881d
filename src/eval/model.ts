// Opens the model asked (or the judge): a GGUF in-process (LocalModel), the built-in smoke model,
// or a --server fleet (FleetModel) — the same model interface generate uses (generate/model/types.ts).
import { createHash } from "node:crypto";
import { createReadStream, existsSync, statSync } from "node:fs";
import { basename } from "node:path";
import { UsageError } from "../core/errors.js";
import type { GpuChoice, ServerKindChoice } from "../generate/config.js";
import type { GenerationModel } from "../generate/model/types.js";
import { ensureSmokeModel, smokeModelFileName } from "../model/smoke.js";

export interface ModelChoice {
  /** GGUF path; null with no servers: the smoke model. */
  model: string | null;
  servers: string[];
  serverKind: ServerKindChoice;
  gpu: GpuChoice;
  threads: number | null;
  /** Sequences in-process; calls in flight per server of a kind that reports no slots (vLLM, SGLang). */
  concurrency: number;
  contextSize: number;
  serverWaitSeconds: number;
  requestTimeoutSeconds: number;
}

export interface ModelInfo {
  path: string | null;
  sha256: string | null;
  smoke: boolean;
  /** "sha256:…" in-process, the served model's name over --server. */
  identity: string;
  device: string;
  threads: number | null;
}

export const SMOKE_NOTICE =
  "note: no --model or --server given, so this run uses the built-in smoke model: random weights, so every answer is random noise " +
  "and every figure of the report is noise too. It exercises the whole harness; to evaluate a model pass --model FILE.gguf or --server " +
  "URL.";

/** --server values (repeatable, comma lists) → distinct http(s) base URLs. */
export function parseServerUrls(values: string[], flag = "--server"): string[] {
  const urls = values
    .flatMap((v) => v.split(","))
    .map((v) => v.trim())
    .filter(Boolean);
  for (const url of urls) {
    let parsed: URL | null = null;
    try {
      parsed = new URL(url);
    } catch {
      // reported below
    }
    if (!parsed) throw new UsageError(`${flag} "${url}" is not a URL (example: http://10.0.0.5:8080)`);
    if (parsed.protocol !== "http:" && parsed.protocol !== "https:")
      throw new UsageError(`${flag} "${url}": only http:// and https:// servers are supported`);
  }
  if (new Set(urls).size !== urls.length) throw new UsageError(`${flag} lists the same URL twice`);
  return urls;
}

async function sha256File(path: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 22 })) hash.update(chunk as Buffer);
  return hash.digest("hex");
}

export async function openModel(choice: ModelChoice, log: (line: string) => void): Promise<{ model: GenerationModel; info: ModelInfo }> {
  if (choice.servers.length > 0) {
    const { FleetModel } = await import("../generate/model/server.js");
    const model = await FleetModel.connect({
      urls: choice.servers,
      kind: choice.serverKind,
      concurrency: choice.concurrency,
      waitSeconds: choice.serverWaitSeconds,
      timeoutSeconds: choice.requestTimeoutSeconds,
      contextSize: choice.contextSize,
      log,
    });
    // A server that reports serving a file named like a smoke model (gpt-oss-smoke-<hash>.gguf) serves noise too.
    // The servers' identity is "NAME #hash of what they report"; the name is the served file's.
    const smoke = /^gpt-oss-smoke-[0-9a-f]{16}\.gguf$/.test(basename(model.name)) || model.name === smokeModelFileName();
    return { model, info: { path: null, sha256: null, smoke, identity: model.identity, device: "servers", threads: null } };
  }
  const smoke = choice.model === null;
  const path = choice.model ?? (await ensureSmokeModel());
  if (!existsSync(path) || !statSync(path).isFile()) throw new UsageError(`model file not found: ${path}`);
  // node-llama-cpp loads only here: a --server run and `eval score` without a judge start without it.
  const { LocalModel, physicalCores } = await import("../generate/model/local.js");
  const threads = choice.threads ?? (smoke ? 1 : physicalCores());
  const [sha256, model] = await Promise.all([
    sha256File(path),
    LocalModel.load({ modelPath: path, gpu: choice.gpu, threads, sequences: choice.concurrency, contextSize: choice.contextSize }),
  ]);
  return { model, info: { path, sha256, smoke, identity: `sha256:${sha256}`, device: model.device, threads } };
}
