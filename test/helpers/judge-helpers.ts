// Hand-made records whose verdict is known, for the judge tests.
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ConversationRecord } from "../../src/core/record.js";

export function record(
  id: string,
  persona: string | null,
  user: string,
  answer: string,
  meta: Record<string, unknown> = {},
): ConversationRecord {
  return {
    id,
    persona,
    messages: [
      ...(persona ? [{ role: "system" as const, content: `Persona: ${persona}` }] : []),
      { role: "user", content: user },
      { role: "assistant", content: answer },
    ],
    meta,
  };
}

export const tempDir = (prefix: string): string => mkdtempSync(join(tmpdir(), `datagen-${prefix}-`));

export function writeJsonl(path: string, values: unknown[]): string {
  writeFileSync(path, values.map((v) => JSON.stringify(v)).join("\n") + "\n");
  return path;
}

export const readJsonlFile = <T = Record<string, unknown>>(path: string): T[] =>
  readFileSync(path, "utf8")
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l) as T);

const VOCAB = (
  "tide harbor sourdough gear tax volcano rebase coral lag interest moss lighthouse chess opening meadow copper lantern orbit " +
  "pepper glacier violin quarry saddle tunnel walnut zephyr basalt canyon dynamo ember falcon garnet hazel island jasper kelp " +
  "lagoon marble nectar onyx prairie quartz raven sierra thistle umber velvet willow yarrow zinc anchor beacon cedar delta"
).split(" ");

/** n distinct questions and answers: random words, so no two share a 3-word shingle in practice. */
export function distinctPairs(n: number, seed = 1): { user: string; answer: string }[] {
  let x = seed >>> 0 || 1;
  const next = () => ((x = (Math.imul(x, 1664525) + 1013904223) >>> 0), x);
  const sentence = (len: number) => Array.from({ length: len }, () => VOCAB[next() % VOCAB.length]).join(" ");
  return Array.from({ length: n }, () => ({ user: `Tell me about ${sentence(10)}?`, answer: `Here it is: ${sentence(14)}.` }));
}
