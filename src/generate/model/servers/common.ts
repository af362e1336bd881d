// What a server kind is (ServerKindSpec) and the helpers the kinds share. Each kind's file in this
// folder says how that server is detected, probed, asked and read; index.ts lists them. Common to
// all: the prompt is our o200k_harmony ids, the generated ids come back and our tokenizer decodes
// them (protocols.ts, finishGeneration), generation stops on <|return|>, <|call|> and <|end|> by
// id, the JSON Schema goes in the server's own field, and the sampling settings and the per-call
// seed are sent. Light on purpose: `datagen` loads the registry at start for the CLI's choices, so
// nothing here loads the HTTP client (server.ts hands a probe a ServerClient).
import { createHash } from "node:crypto";
import { SPECIAL } from "../../../tokenize/o200k_harmony.js";
import { TransportError } from "../transport-error.js";
import type { GenerateRequest } from "../types.js";

/** Every step ends one harmony message: the final channel with <|return|>, a tool call with <|call|>, analysis with <|end|>. */
export const STOP_IDS = [SPECIAL.return, SPECIAL.call, SPECIAL.end];

/** The most calls in flight one server is given, whatever it reports (p-queue and AIMD need a sane number). */
export const MAX_SERVER_SLOTS = 1024;
/** The largest context a server's report is believed up to (tokens). */
export const MAX_CONTEXT = 1 << 24;

/** One generate call as sent: the endpoint and its JSON body. */
export interface WireRequest {
  path: string;
  body: Record<string, unknown>;
  /** Read the answer as server-sent events (the kind's answer is a stream). */
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

/** A streamed answer, read event by event. */
export interface AnswerStream {
  /** Takes one event's data; true = stop reading (the connection is closed). */
  onEvent: (data: string) => boolean;
  /** What the stream said, once it ended; throws a TransportError when it ended too early. */
  result(): WireResult;
}

/** What a probe learns of one server (ServerInfo, less the kind). */
export interface ProbedServer {
  /** The model's identity: its name and a hash of everything the server reports of it (the resume fingerprint's model). */
  model: string;
  /** The model's short name (a file name, a served name): shown, and written in records. */
  name: string;
  /** The fields the identity is made of, as the server reported them (run.json). */
  reported: Record<string, unknown>;
  /** False when the server reports only names and paths: two models of one name cannot be told apart. */
  distinctive: boolean;
  /** The name to send as `model` (vLLM). */
  servedName: string;
  /** Calls it takes at once, when it says (only a kind with `reportsSlots`). */
  slots: number | null;
  contextSize: number | null;
}

/** How a probe reaches its server: the calls carry the server's credentials; 401/403 is a UsageError. */
export interface ServerClient {
  /** The server's URL, without credentials (for messages). */
  readonly base: string;
  /** GET base + path, parsed as JSON; anything but a 200 with JSON is a TransportError. */
  getJson(path: string): Promise<unknown>;
  /** POST a JSON body to base + path; an answer that is not JSON is a TransportError naming `base`. */
  postJson(path: string, body: unknown): Promise<unknown>;
}

/** One server kind: everything the client and the CLI know of it (docs/ARCHITECTURE.md, "A server kind"). */
export interface ServerKindSpec {
  /** The server's name in help and messages ("vLLM"). */
  name: string;
  /** The server reports its slots (llama-server's total_slots); otherwise --concurrency is its number of calls in flight. */
  reportsSlots: boolean;
  /** How --server-kind auto tells it: the endpoint it is asked, and what only this kind answers there. */
  detect: {
    path: string;
    fits: (answer: unknown) => boolean;
    /** Other kinds answer this endpoint too: it is tried after every kind whose endpoint is its own. */
    shared?: boolean;
  };
  /** Model identity, context and slots, once /health answered; throws a TransportError (a UsageError when no retry can help). */
  probe: (client: ServerClient) => Promise<ProbedServer>;
  /** One generate call's endpoint and body; `model` is the name it serves under (ProbedServer.servedName). */
  request: (request: GenerateRequest, model: string) => Omit<WireRequest, "stream">;
  /** How its answer is read: one JSON body, or server-sent events. */
  answer: { parse: (url: string, json: unknown) => WireResult } | { stream: (url: string, request: GenerateRequest) => AnswerStream };
}

export const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** Ids at or above <|startoftext|> are special: none is text. */
export const isStopId = (id: number): boolean => id >= SPECIAL.startoftext;

/** The id list a server put in `field`, or a bad_answer naming it. */
export function idList(url: string, value: unknown, field: string): number[] {
  if (!Array.isArray(value)) throw new TransportError("bad_answer", `${url}: the answer has no ${field} id list`);
  return value as number[];
}

/** A count the server reports: a positive integer, at most `max`; anything else is not believed. */
export function reportedCount(value: unknown, max: number): number | null {
  return typeof value === "number" && Number.isInteger(value) && value >= 1 ? Math.min(value, max) : null;
}

export const sha256 = (text: string): string => createHash("sha256").update(text).digest("hex");

/** The scalar fields among `keys` (strings, numbers, booleans), in that order. */
export function pick(from: Record<string, unknown>, keys: string[]): Record<string, unknown> {
  return Object.fromEntries(keys.filter((k) => ["number", "string", "boolean"].includes(typeof from[k])).map((k) => [k, from[k]]));
}

/** The fields of a report that can name a model: strings, numbers, booleans, sorted by key. */
export function scalarsOf(from: Record<string, unknown>, except: string[]): Record<string, unknown> {
  return pick(
    from,
    Object.keys(from)
      .filter((k) => !except.includes(k))
      .sort(),
  );
}

/** `name #hash`: the hash covers every reported field, so two models that share a file name differ. */
export function identify(
  name: string,
  reported: Record<string, unknown>,
  distinctive: boolean,
): Pick<ProbedServer, "model" | "name" | "reported" | "distinctive"> {
  const canonical = JSON.stringify(
    Object.keys(reported)
      .sort()
      .map((k) => [k, reported[k]]),
  );
  return { model: `${name} #${sha256(canonical).slice(0, 12)}`, name, reported, distinctive };
}
