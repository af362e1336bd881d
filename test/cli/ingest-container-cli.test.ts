// Every container through the commands a user runs (validate, render, pack, stats report, verify
// --source): the same verdict on every item and the same FILE:LINE ids as the plain JSONL twin.
// Fixtures: test/fixtures/ingest/containers (make.py there).
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { runCli, type CliRun } from "../helpers/cli.js";

const FIXTURES = "test/fixtures/ingest/containers";
const work = mkdtempSync(join(tmpdir(), "datagen-ingest-cli-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const cli = (bin: "datagen" | "dataset", args: string[], stdin?: Buffer): Promise<CliRun> => runCli(bin, args, { stdin });

/** An input as the commands take it: a path, or "-" with these bytes on stdin. */
interface Input {
  arg: string;
  stdin?: Buffer;
  /** How the commands name it in FILE:LINE and made-up ids. */
  name: string;
}

const file = (name: string): Input => ({ arg: join(FIXTURES, name), name: join(FIXTURES, name) });
const piped = (name: string): Input => ({ arg: "-", stdin: readFileSync(join(FIXTURES, name)), name: "<stdin>" });

/** One command's outcome per item, file names replaced by FILE so that containers compare. */
type Verdicts = Record<string, unknown>;

const anonymize = (text: string, input: Input): string => text.split(input.name).join("FILE");

async function validate(input: Input): Promise<Verdicts> {
  const run = await cli("datagen", ["validate", input.arg, "--json"], input.stdin);
  const lines = run.stdout
    .trim()
    .split("\n")
    .map((l) => JSON.parse(anonymize(l, input)) as Record<string, unknown>);
  const invalid = lines
    .filter((l) => l.type === "invalid")
    .map((l) => [l.file, l.line, l.id, (l.issues as { code: string }[]).map((i) => i.code)]);
  const summary = lines.find((l) => l.type === "summary")!;
  return { code: run.code, invalid, records: summary.records, valid: summary.valid };
}

async function render(input: Input): Promise<Verdicts> {
  // One document per record: the verdicts per item are the point (--documents auto would cut some into turns).
  const run = await cli("datagen", ["render", input.arg, "--json", "--documents", "conversation"], input.stdin);
  const rendered = run.stdout
    .trim()
    .split("\n")
    .map((l) => JSON.parse(anonymize(l, input)) as { id: string; tokens: number[] });
  const problems = anonymize(run.stderr, input)
    .split("\n")
    .filter((l) => l.startsWith("FILE:"))
    .map((l) => l.split(" ").slice(0, 3));
  return { code: run.code, ids: rendered.map((r) => r.id), tokens: rendered.map((r) => r.tokens.length), problems };
}

async function pack(input: Input, out: string): Promise<Verdicts> {
  const run = await cli("datagen", ["pack", input.arg, "--out", out, "--seq-len", "8192", "--workers", "2", "--json"], input.stdin);
  const jsonl = (name: string) =>
    readFileSync(join(out, name), "utf8")
      .trim()
      .split("\n")
      .filter(Boolean)
      .map((l) => JSON.parse(anonymize(l, input)) as Record<string, unknown>);
  const documents = jsonl("documents.jsonl").map((d) => [d.input, d.line, d.id, d.length]);
  const rejects = jsonl("rejects.jsonl").map((r) => [r.file, r.line, r.id, r.code]);
  // By line, then id: a record cut into turns (--documents auto) gives several documents on one line.
  const byLine = (a: unknown[], b: unknown[]) => (a[1] as number) - (b[1] as number) || String(a[2]).localeCompare(String(b[2]));
  return { code: run.code, documents: documents.sort(byLine), rejects: rejects.sort(byLine) };
}

async function stats(input: Input, json: string): Promise<Verdicts> {
  const run = await cli("dataset", ["stats", "report", input.arg, "--json", json, "--workers", "0"], input.stdin);
  const raw = JSON.parse(anonymize(readFileSync(json, "utf8"), input)).raw;
  const examples = (raw.invalid.examples as Record<string, unknown>[]).map((e) => [e.file, e.line, e.id ?? null, e.code]);
  return { code: run.code, records: raw.records, invalid: raw.invalid.by_code, examples, tokens: raw.tokens };
}

let runs = 0;
async function allCommands(input: Input): Promise<Record<string, Verdicts>> {
  const dir = join(work, `run-${runs++}`);
  // stdin can be read once: one command at a time for "-", all four at once for a file.
  if (input.stdin)
    return {
      validate: await validate(input),
      render: await render(input),
      pack: await pack(input, join(dir, "packed")),
      stats: await stats(input, `${dir}.json`),
    };
  const [v, r, p, s] = await Promise.all([validate(input), render(input), pack(input, join(dir, "packed")), stats(input, `${dir}.json`)]);
  return { validate: v, render: r, pack: p, stats: s };
}

describe("each container gives every command the verdicts of its plain JSONL twin", () => {
  let twin: Record<string, Verdicts>;

  it("the twin (records.jsonl): 4 records pass, bad-tool and the line that is not JSON fail, everywhere", async () => {
    twin = await allCommands(file("records.jsonl"));
    expect(twin.validate).toEqual({
      code: 1,
      invalid: [
        ["FILE", 4, "bad-tool", ["unknown_tool", "tool_result_name_mismatch"]],
        ["FILE", 5, null, ["invalid_json"]],
      ],
      records: 6,
      valid: 4,
    });
    expect(twin.render).toMatchObject({ code: 1, ids: ["lawful_good-000001", "FILE:2", "chaotic_good-000003", "true_neutral-000005"] });
    expect(twin.render.problems).toEqual([
      ["FILE:4", "bad-tool", "unknown_tool"],
      ["FILE:4", "bad-tool", "tool_result_name_mismatch"],
      ["FILE:5", "-", "invalid_json"],
    ]);
    expect(twin.pack).toMatchObject({
      code: 0,
      rejects: [
        ["FILE", 4, "bad-tool", "unknown_tool"],
        ["FILE", 5, null, "invalid_json"],
      ],
    });
    expect((twin.pack.documents as unknown[][]).map((d) => d.slice(0, 3))).toEqual([
      ["FILE", 1, "lawful_good-000001"],
      ["FILE", 2, "FILE:2"],
      ["FILE", 3, "chaotic_good-000003"],
      ["FILE", 6, "true_neutral-000005#1"], // analysis before its last turn: cut into its two turns
      ["FILE", 6, "true_neutral-000005#2"],
    ]);
    expect(twin.stats).toMatchObject({ code: 0, records: 4, invalid: { invalid_json: 1, unknown_tool: 1 } });
  }, 300_000);

  for (const input of [file("records.jsonl.gz"), file("records.jsonl.zst"), file("records.json"), piped("records.jsonl.gz")]) {
    it(`${input.arg === "-" ? "stdin (gzip)" : input.arg}: same verdicts and FILE:LINE ids`, async () => {
      expect(await allCommands(input)).toEqual(twin);
    }, 300_000);
  }

  it("Parquet (several row groups): the verdicts of its JSONL twin, row number as line", async () => {
    const [parquet, jsonl] = await Promise.all([allCommands(file("records.parquet")), allCommands(file("records.parquet.jsonl"))]);
    expect(parquet).toEqual(jsonl);
    expect(parquet.validate).toMatchObject({
      records: 8,
      valid: 7,
      invalid: [["FILE", 8, "bad-tool", ["unknown_tool", "tool_result_name_mismatch"]]],
    });
    expect((parquet.pack.documents as unknown[]).length).toBe(9); // 7 records; --documents auto cuts 2 into turns
  }, 300_000);
});

describe("inputs that hold nothing, or cannot be read", () => {
  it("an empty input is an error in every command, naming the file (validate, render, pack, stats)", async () => {
    const input: Input = { arg: "-", stdin: Buffer.from("\n\n"), name: "<stdin>" };
    const v = await cli("datagen", ["validate", "-"], input.stdin);
    expect(v.code).toBe(1);
    expect(v.stdout).toContain("<stdin>:0 - empty_input no records: the input is empty or holds only blank lines");
    const r = await cli("datagen", ["render", "-"], input.stdin);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/<stdin>(:0)? - empty_input/);
    const p = await cli("datagen", ["pack", "-", "--out", join(work, "empty-packed"), "--seq-len", "1024"], input.stdin);
    expect(p.code).toBe(1);
    const s = await cli("dataset", ["stats", "report", "-", "--workers", "0"], input.stdin);
    expect(s.code).toBe(1);
  }, 300_000);

  it("a truncated gzip: exit 1 with corrupt_input and the file's name, not a stack trace", async () => {
    const gz = readFileSync(join(FIXTURES, "records.jsonl.gz"));
    const cut = gz.subarray(0, gz.length - 30);
    const run = await cli("datagen", ["validate", "-"], cut);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/<stdin> corrupt_input gzip data is corrupt or truncated \(unexpected end of file\)/);
    expect(run.stderr).not.toMatch(/\n\s+at /);
  }, 120_000);

  it("pack keeps a forced --from in the manifest, and verify --source reads the sources as that shape", async () => {
    const source = join(work, "dump.jsonl");
    const line = (k: number) =>
      JSON.stringify({
        messages: [
          { role: "user", content: `Hi ${k}` },
          { role: "assistant", content: `Hello ${k}`, refusal: null, annotations: [] },
        ],
      });
    writeFileSync(source, `${line(1)}\n${line(2)}\n`);
    const out = join(work, "forced");
    expect((await cli("datagen", ["pack", source, "--from", "openai", "--out", out, "--seq-len", "1024", "--workers", "1"])).code).toBe(0);
    const manifestPath = join(out, "manifest.json");
    const manifest = JSON.parse(readFileSync(manifestPath, "utf8")) as { from?: string };
    expect(manifest.from).toBe("openai");
    expect((await cli("dataset", ["verify", out, "--source"])).code).toBe(0);
    // Read as another shape, the same sources are no longer these documents: verify must say so.
    writeFileSync(manifestPath, JSON.stringify({ ...manifest, from: "xlam" }));
    const run = await cli("dataset", ["verify", out, "--source", "--json"]);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain("source_rejected");
    expect(run.stdout).toContain("shape_mismatch");
  }, 300_000);

  it("verify --source re-renders the records of a gzip and of a Parquet input from the file itself", async () => {
    for (const name of ["records.jsonl.gz", "records.parquet"]) {
      const out = join(work, `verified-${name}`);
      expect((await cli("datagen", ["pack", join(FIXTURES, name), "--out", out, "--seq-len", "8192", "--workers", "1"])).code).toBe(0);
      const run = await cli("dataset", ["verify", out, "--source", "--json"]);
      expect(run.code).toBe(0);
      const report = JSON.parse(run.stdout.trim().split("\n")[0]) as { ok: boolean; sourceDocumentsChecked: number };
      expect(report).toMatchObject({ ok: true });
      // Documents, not records: --documents auto cuts 2 of the Parquet's 7 records and 1 of the gzip's 4
      // into turns. The gzip's record without an id is packed as FILE:LINE: verify must make the same id.
      expect(report.sourceDocumentsChecked).toBe(name === "records.parquet" ? 9 : 5);
    }
  }, 300_000);
});
