// The registry of server kinds: one entry per --server-kind value, each kind's spec in its own file
// here. Everything else is derived from this table: the ServerKind type and list, the CLI's
// --server-kind choices (cli/options.ts, serverKindOption) and the help texts naming the servers,
// the order --server-kind auto tries them in, and, in server.ts and protocols.ts, how each server
// is probed, asked and read. Adding a kind is one file and one entry here (docs/ARCHITECTURE.md,
// "A server kind"). Light on purpose: `datagen` loads it at start.
import type { ServerKindSpec } from "./common.js";
import { llamaServer } from "./llama-server.js";
import { sglang } from "./sglang.js";
import { vllm } from "./vllm.js";

export const SERVER_KIND_SPECS = {
  "llama-server": llamaServer,
  vllm,
  sglang,
} as const satisfies Record<string, ServerKindSpec>;

export type ServerKind = keyof typeof SERVER_KIND_SPECS;
/** What --server-kind takes: a kind, or auto (each server's own endpoints tell). */
export type ServerKindChoice = ServerKind | "auto";

export const SERVER_KINDS = Object.keys(SERVER_KIND_SPECS) as ServerKind[];
export const SERVER_KIND_CHOICES: ServerKindChoice[] = ["auto", ...SERVER_KINDS];

export const serverKindSpec = (kind: ServerKind): ServerKindSpec => SERVER_KIND_SPECS[kind];

/** The order auto detection asks the kinds in: those whose endpoint is their own first, then those whose endpoint others answer too. */
export const DETECT_ORDER: ServerKind[] = [
  ...SERVER_KINDS.filter((k) => !serverKindSpec(k).detect.shared),
  ...SERVER_KINDS.filter((k) => serverKindSpec(k).detect.shared),
];

/** "a, b or c" */
export function orList(items: readonly string[]): string {
  return items.length <= 1 ? items.join("") : `${items.slice(0, -1).join(", ")} or ${items[items.length - 1]}`;
}

/** Every kind's name, for help and messages: "llama-server, vLLM or SGLang". */
export const SERVER_NAMES = orList(SERVER_KINDS.map((k) => serverKindSpec(k).name));
/** The kinds that take --concurrency calls at once (they report no slots of their own): "vLLM/SGLang". */
export const CONCURRENCY_SERVER_NAMES = SERVER_KINDS.filter((k) => !serverKindSpec(k).reportsSlots)
  .map((k) => serverKindSpec(k).name)
  .join("/");
