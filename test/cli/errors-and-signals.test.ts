// Exits and signals, the classes that need no model: ordinary mistakes end with a message and exit 1 or 2
// (never a stack trace or 70), SIGINT/SIGTERM end every command with 130/143, a pool whose worker
// fails lets the process end, "nothing usable" is exit 1, and text/JSON output a script can trust.
// Each test runs the built CLI, as a user does. What needs the model loaded (generate's context check,
// its --json and summary lines, a GGUF that holds no model) is in test/model: generate-exits-and-output
// and model-check-hostile.
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { spawn } from "node:child_process";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { escapeControls, escapeControlsKeepLayout } from "../../src/core/escape.js";
import { STAGING_SUFFIX } from "../../src/core/output.js";
import { builtCli, expectCleanError, runCli, runScript, type CliRun } from "../helpers/cli.js";
import { personaDocs, writePackedDataset } from "../helpers/train-helpers.js";

type Run = CliRun;

const cli = (bin: "datagen" | "dataset", args: string[]): Promise<Run> => runCli(bin, args);
const datagen = (...args: string[]) => cli("datagen", args);

/** No stack trace, no "internal error": the user's mistake is named on one line. */
const work = mkdtempSync(join(tmpdir(), "datagen-hardening-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const EXAMPLES = "data/examples/conversations.jsonl";
const INVALID_EXAMPLES = "data/examples/invalid.jsonl";

describe("ordinary mistakes: a message and exit 1/2, never a crash", () => {
  it("train without --steps or --out prints the usage error (it printed nothing)", async () => {
    expectCleanError(await datagen("train", "--data", work), 2, /^error: --out and --steps are required unless --eval-only\n$/);
  });

  it("generate --concurrency above node-llama-cpp's 256 sequences is a usage error, before any model loads", async () => {
    const run = await datagen("generate", "--concurrency", "1000", "--out", join(work, "never"));
    expectCleanError(run, 2, /--concurrency must be an integer in 1\.\.256, got "1000"/);
    expect(existsSync(join(work, "never"))).toBe(false);
  });

  for (const command of ["generate", "train"]) {
    it(`${command} --model: a folder, a text file and a truncated GGUF are named, with a reason (before any model loads)`, async () => {
      const data = join(work, "packed-for-model-checks");
      if (!existsSync(data)) writePackedDataset(data, personaDocs(2), 1024);
      const args = (model: string) =>
        command === "generate"
          ? ["generate", "--model", model, "--count", "1", "--out", join(work, `out-${command}`)]
          : ["train", "--data", data, "--model", model, "--out", join(work, `out-${command}`), "--steps", "1"];
      const folder = join(work, "folder.gguf");
      rmSync(folder, { recursive: true, force: true });
      mkdirSync(folder);
      expectCleanError(await datagen(...args(folder)), 2, /--model .*folder\.gguf: not a regular file/);
      const text = join(work, "text.gguf");
      writeFileSync(text, "this is not a model\n");
      expectCleanError(await datagen(...args(text)), 1, /text\.gguf gguf-bad-magic not a GGUF file/);
      // A header cut off inside its metadata: what an interrupted download leaves.
      const cut = join(work, "cut.gguf");
      const header = Buffer.alloc(64);
      header.write("GGUF", 0, "latin1");
      header.writeUInt32LE(3, 4);
      header.writeBigUInt64LE(1n, 8); // one tensor
      header.writeBigUInt64LE(5n, 16); // five metadata entries, none of them present
      writeFileSync(cut, header.subarray(0, 30));
      expectCleanError(await datagen(...args(cut)), 1, /cut\.gguf gguf-truncated/);
    }, 180_000);
  }
});

describe("stdout that cannot be written", () => {
  it("a full disk (/dev/full) is one line and exit 1, not an uncaught ENOSPC stack", async () => {
    const full = openSync("/dev/full", "w");
    const run = await runCli("datagen", ["render", EXAMPLES, "--json"], { stdoutFd: full }).finally(() => closeSync(full));
    expectCleanError(run, 1, /^error: cannot write to stdout \(ENOSPC\); the output is incomplete\n$/);
  }, 60_000);

  it("a reader that lags gets every line of a run that fails (exit 1 used to drop what the pipe could not take yet)", async () => {
    // Far more problem lines than a pipe holds (64 KiB), none read for the first second.
    const invalid = join(work, "many-invalid.jsonl");
    writeFileSync(invalid, readFileSync(INVALID_EXAMPLES, "utf8").repeat(200));
    const outFile = join(work, "many-invalid.out");
    const fd = openSync(outFile, "w");
    const toFile = await runCli("datagen", ["validate", invalid, "--json"], { stdoutFd: fd }).finally(() => closeSync(fd));
    expect(toFile.code).toBe(1);
    const whole = readFileSync(outFile, "utf8");
    expect(whole.length).toBeGreaterThan(4 * 65_536);
    const child = spawn(process.execPath, [builtCli("datagen"), "validate", invalid, "--json"], { stdio: ["ignore", "pipe", "ignore"] });
    const parts: Buffer[] = [];
    child.stdout.on("data", (d: Buffer) => parts.push(d));
    child.stdout.pause();
    setTimeout(() => child.stdout.resume(), 1000);
    const code = await new Promise<number | null>((resolve) => child.once("close", resolve));
    expect(code).toBe(1);
    expect(Buffer.concat(parts).toString("utf8")).toBe(whole);
  }, 60_000);
});

describe("model smoke --out: a path that cannot be written is named (it was exit 70 with a stack)", () => {
  it("a folder, and a folder that cannot be created", async () => {
    expectCleanError(await datagen("model", "smoke", "--out", work), 2, /--out .* is a folder; name a file/);
    expectCleanError(
      await datagen("model", "smoke", "--out", "/proc/no-such-process/smoke.gguf"),
      2,
      /cannot create folder \/proc\/no-such-process/,
    );
  }, 60_000);
});

describe("SIGINT and SIGTERM end every command, with a message and 130 / 143", () => {
  let big: string;
  beforeAll(() => {
    const lines = readFileSync(EXAMPLES, "utf8").trim().split("\n");
    const out: string[] = [];
    for (let k = 0; k < 2000; k++) {
      const record = JSON.parse(lines[k % lines.length]!) as { id: string };
      record.id = `${record.id}-${k}`;
      out.push(JSON.stringify(record));
    }
    big = join(work, "big.jsonl");
    writeFileSync(big, out.join("\n") + "\n");
  });

  // Each command gets far more input than it can finish; the signal goes once the command is surely
  // past its start-up (its handlers are installed before it reads or writes anything).
  it("validate stopped by SIGINT exits 130 at once, with a message (it died by the signal, with no status)", async () => {
    // The invalid examples come first: their problem lines on stdout show validation is under way.
    let sent = false;
    const run = await runCli("datagen", ["validate", INVALID_EXAMPLES, ...Array(400).fill(big)], {
      onStdout: (stdout, child) => {
        if (sent || !stdout.includes("\n")) return;
        sent = true;
        child.kill("SIGINT");
      },
    });
    expect(sent, run.stderr).toBe(true);
    expect(run.signal).toBeNull();
    expect(run.code, run.stderr).toBe(130);
    expect(run.stderr).toContain("SIGINT: stopped");
  }, 120_000);

  it("pack --force stopped by SIGTERM exits 143 after removing its unfinished dataset; the old one is kept", async () => {
    const out = join(work, "packed-signal");
    expect((await datagen("pack", EXAMPLES, "--out", out, "--seq-len", "4096")).code).toBe(0);
    const before = readFileSync(join(out, "manifest.json"));
    // The staging folder beside --out exists once pack has opened its output, past its start-up.
    let sent = false;
    const args = ["pack", ...Array(400).fill(big), "--out", out, "--force", "--seq-len", "4096", "--workers", "2"];
    const run = await runCli("datagen", args, {
      when: {
        ready: () => existsSync(out + STAGING_SUFFIX),
        act: (child) => {
          sent = true;
          child.kill("SIGTERM");
        },
      },
    });
    expect(sent, run.stderr).toBe(true);
    expect(run.signal).toBeNull();
    expect(run.code, run.stderr).toBe(143);
    expect(run.stderr).toContain("SIGTERM: finishing cleanly");
    expect(run.stderr).toContain("error: pack interrupted: no dataset was written (an existing one in --out is kept)");
    expect(readFileSync(join(out, "manifest.json")).equals(before)).toBe(true);
    expect(readdirSync(work).filter((name) => name.startsWith("packed-signal"))).toEqual(["packed-signal"]);
    expect(readdirSync(out).filter((name) => name.endsWith(".partial"))).toEqual([]);
  }, 120_000);
});

describe("a worker pool whose worker fails", () => {
  it("rejects its work and terminates every worker, so the process ends by itself", async () => {
    // Without close(): before the fix the other workers kept the process alive forever.
    const script = `
      const { RenderPool } = await import(${JSON.stringify(join(process.cwd(), "src/pack/pool.ts"))});
      const pool = new RenderPool(3, { dialect: "harmony", mask: "assistant" });
      const broken = { file: "x.jsonl", lines: null, starts: new Uint32Array(1), tooLong: new Uint8Array(1), data: new Uint8Array(8) };
      for (const attempt of [1, 2]) {
        try { await pool.run({ ...broken, data: new Uint8Array(8) }); console.log("resolved"); }
        catch (err) { console.log("rejected " + attempt); }
      }`;
    // A process still alive after 20 s is killed: it would not have ended by itself.
    const run = await runScript(script, [], { timeoutMs: 20_000 });
    expect(run.stdout).toBe("rejected 1\nrejected 2\n");
    expect(run.signal, "the process did not end by itself").toBeNull();
  }, 30_000);
});

describe("nothing usable produced: say so and exit 1", () => {
  it("pack of a file in which no line is a record exits 1, names the first reject, and writes no dataset", async () => {
    const input = join(work, "no-records.jsonl");
    writeFileSync(input, '{"conversations":"not ours"}\n{"foo":1}\n');
    const out = join(work, "packed-nothing");
    const run = await datagen("pack", input, "--out", out, "--seq-len", "1024", "--workers", "1");
    expectCleanError(
      run,
      1,
      /nothing packed: 2 lines read from .*no-records\.jsonl, no usable conversation; 2 rejected, the first: .*no-records\.jsonl:1 /,
    );
    expect(run.stdout).toBe("");
    expect(existsSync(out)).toBe(false); // not even the empty folder the run created
  }, 60_000);

  it("pack of a non-JSONL binary file exits 1 instead of 'packed 0 documents'", async () => {
    const input = join(work, "binary.jsonl");
    writeFileSync(input, Buffer.from([0x00, 0x01, 0xfe, 0xff, 0x0a, 0x80, 0x81, 0x0a]));
    const run = await datagen("pack", input, "--out", join(work, "packed-binary"), "--seq-len", "1024", "--workers", "1");
    expectCleanError(run, 1, /nothing packed/);
  }, 60_000);

  it("stats report on raw records none of which is valid exits 1 after its tables", async () => {
    const input = join(work, "invalid-only.jsonl");
    writeFileSync(input, '{"foo":1}\n');
    const run = await cli("dataset", ["stats", "report", input, "--workers", "0"]);
    expectCleanError(run, 1, /no valid record in .*invalid-only\.jsonl/);
    expect(run.stdout).toContain("records (valid)");
  }, 60_000);

  it("validate and render of an empty file exit 1", async () => {
    const empty = join(work, "empty.jsonl");
    writeFileSync(empty, "");
    expect((await datagen("validate", empty)).code).toBe(1);
    expect((await datagen("render", empty)).code).toBe(1);
  }, 60_000);
});

describe("output a script can trust", () => {
  // An id that, printed raw, ends the report line, forges another and clears the screen.
  const forged = "ok\nforged.jsonl:9 fake-id schema_violation all good\u001b[2J\r";
  let input: string;
  beforeAll(() => {
    input = join(work, "forged.jsonl");
    const record = JSON.parse(readFileSync(EXAMPLES, "utf8").split("\n")[0]!) as { id: string; messages: unknown[] };
    const bad = { ...record, id: forged, messages: [] };
    writeFileSync(input, JSON.stringify({ ...record, id: forged }) + "\n" + JSON.stringify(bad) + "\n");
  });

  it("escapeControls writes every control character visibly; the layout variant keeps newlines and tabs", () => {
    expect(escapeControls("a\nb\tc\u001b[2J\r\u0000\u009b\u2028")).toBe("a\\nb\\tc\\u001b[2J\\r\\u0000\\u009b\\u2028");
    expect(escapeControlsKeepLayout("a\nb\tc\u001b\r")).toBe("a\nb\tc\\u001b\\u000d");
    expect(escapeControls("plain text, ünïcödé ✓")).toBe("plain text, ünïcödé ✓");
    // Bidi controls reorder a report line on screen (an RLO makes "id-1 txt.exe" read backwards).
    expect(escapeControls("id\u202etxt.exe\u2066x\u2069\u200f")).toBe("id\\u202etxt.exe\\u2066x\\u2069\\u200f");
    expect(escapeControlsKeepLayout("שלום\u200f")).toBe("שלום\u200f");
  });

  it("validate: one report line per issue, the id escaped", async () => {
    const run = await datagen("validate", input);
    expect(run.code).toBe(1);
    const issues = run.stdout.split("\n").filter((l) => l.includes(".jsonl:"));
    expect(issues.length).toBeGreaterThan(0);
    for (const line of issues)
      expect(line).toMatch(/^\S+forged\.jsonl:2 ok\\nforged\.jsonl:9 fake-id schema_violation all good\\u001b\[2J\\r \w+ /);
    expect(run.stdout).not.toMatch(/[\u0000-\u0009\u000b-\u001f]/);
  });

  it("render: the title and the stderr problem line escape the id; --json stays exact", async () => {
    const run = await datagen("render", input);
    expect(run.code).toBe(1);
    expect(run.stdout.split("\n")[0]).toMatch(/^### ok\\nforged\.jsonl:9 fake-id schema_violation all good\\u001b\[2J\\r \(/);
    expect(run.stdout).not.toMatch(/[\u0000-\u0008\u000b-\u001f]/);
    expect(run.stderr.split("\n")[0]).toMatch(/^\S+forged\.jsonl:2 ok\\nforged/);
    const json = await datagen("render", input, "--json");
    expect((JSON.parse(json.stdout.split("\n")[0]!) as { id: string }).id).toBe(forged);
  });

  it("stats report: the terminal tables escape the id in their invalid-record examples", async () => {
    const run = await cli("dataset", ["stats", "report", input, "--workers", "0"]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain("ok\\nforged.jsonl:9 fake-id schema_violation all good\\u001b[2J\\r");
    expect(run.stdout).not.toMatch(/[\u0000-\u0009\u000b-\u001f]/);
  }, 60_000);

  it("an error message quoting the user's text is one line", async () => {
    const run = await datagen("render", EXAMPLES, "--id", "nope\nerror: forged");
    expect(run.code).toBe(1);
    expect(run.stderr).toBe(
      `error: ${EXAMPLES} id_not_found no record with id "nope\\nerror: forged" (check the id, or run without --id to see them all)\n`,
    );
  });

  it("pack --json and verify --json print exactly one JSON document on one line", async () => {
    const out = join(work, "packed-json");
    const pack = await datagen("pack", EXAMPLES, "--out", out, "--seq-len", "4096", "--workers", "1", "--json");
    expect(pack.code, pack.stderr).toBe(0);
    expect(pack.stdout.endsWith("\n")).toBe(true);
    expect(pack.stdout.trimEnd().split("\n")).toHaveLength(1);
    // 12 records; --documents auto cuts the 3 with analysis before their last turn into 7 turn documents.
    expect(JSON.parse(pack.stdout)).toMatchObject({ documents: 16 });
    const verify = await cli("dataset", ["verify", out, "--json"]);
    expect(verify.code, verify.stderr).toBe(0);
    expect(verify.stdout.trimEnd().split("\n")).toHaveLength(1);
    expect(JSON.parse(verify.stdout)).toMatchObject({ ok: true });
  }, 60_000);
});
