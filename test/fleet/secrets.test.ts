// Secrets never reach a file, a log or a message: credentials in a --server URL and the servers' API
// key (DATAGEN_API_KEY or --api-key-file; a visible --api-key is refused). Unit tests of the one
// redaction function and the key loader, then a real llama-server started with --api-key.
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { UsageError } from "../../src/core/errors.js";
import { redactText, redactUrl, splitCredentials } from "../../src/core/redact.js";
import { loadApiKey } from "../../src/generate/model/api-key.js";
import { serverTarget } from "../../src/generate/model/server.js";
import { ensureSmokeModel } from "../../src/model/smoke.js";
import { expectCleanError, runCli, type CliRun } from "../helpers/cli.js";
import { startLlamaServer, stopAll, type LlamaServer } from "../helpers/fleet-helpers.js";

const dir = mkdtempSync(join(tmpdir(), "secrets-"));
const KEY = "sk-test-7f3a9c1e5b2d4f60";
const PASSWORD = "hunter2-s3cret-pw";
afterAll(async () => {
  await stopAll();
  rmSync(dir, { recursive: true, force: true });
});

/** Every byte a run left: its output folder's files, stdout and stderr. */
function everything(out: string, run: CliRun): string {
  let text = run.stdout + run.stderr;
  try {
    for (const name of readdirSync(out)) text += readFileSync(join(out, name), "utf8");
  } catch {
    // no folder: nothing written
  }
  return text;
}

describe("redaction and the key loader", () => {
  it("a URL's user and password never survive redactUrl / redactText; splitCredentials moves them to a header", () => {
    expect(redactUrl(`http://bob:${PASSWORD}@10.0.0.5:8000`)).toBe("http://***@10.0.0.5:8000");
    expect(redactUrl("http://10.0.0.5:8000")).toBe("http://10.0.0.5:8000");
    expect(redactText(`at https://bob:${PASSWORD}@gpu1:8000/props and http://x@y:1/`)).toBe(
      "at https://***@gpu1:8000/props and http://***@y:1/",
    );
    const split = splitCredentials(`http://bob:${PASSWORD}@10.0.0.5:8000`);
    expect(split.url).toBe("http://10.0.0.5:8000");
    expect(Buffer.from(split.authorization!.replace("Basic ", ""), "base64").toString()).toBe(`bob:${PASSWORD}`);
    // Once seen, the password itself is scrubbed from any text (a server's error body quoting it).
    expect(redactText(`server said: bad password ${PASSWORD}`)).not.toContain(PASSWORD);
    expect(serverTarget(`http://bob:${PASSWORD}@h:1/`, KEY)).toEqual({ url: "http://h:1", headers: { authorization: `Bearer ${KEY}` } });
  });

  it("the key comes from --api-key-file first, else DATAGEN_API_KEY; a bad one is refused without quoting it", () => {
    const file = join(dir, "key");
    writeFileSync(file, `${KEY}\n`);
    expect(loadApiKey(file, { DATAGEN_API_KEY: "other-key-123" })).toBe(KEY);
    expect(loadApiKey(null, { DATAGEN_API_KEY: ` ${KEY} ` })).toBe(KEY);
    expect(loadApiKey(null, {})).toBeUndefined();
    expect(redactText(`echo ${KEY}`)).toBe("echo ***");
    writeFileSync(file, "");
    expect(() => loadApiKey(file, {})).toThrow(/--api-key-file .* is empty/);
    writeFileSync(file, `${KEY} ${KEY}\n`);
    expect(() => loadApiKey(file, {})).toThrow(UsageError);
    try {
      loadApiKey(file, {});
    } catch (err) {
      expect((err as Error).message).not.toContain(KEY);
    }
    writeFileSync(file, "x".repeat(10_000));
    expect(() => loadApiKey(file, {})).toThrow(/is not an API key/);
    expect(() => loadApiKey(join(dir, "missing"), {})).toThrow(/cannot read it \(ENOENT\)/);
  });
});

describe("the CLI keeps credentials out of every file, log and message", () => {
  it("a server that cannot be reached: the error names the URL without its password", async () => {
    const out = join(dir, "unreachable");
    const run = await runCli("datagen", [
      "generate",
      "--persona",
      "none",
      "--count",
      "1",
      "--out",
      out,
      "--server",
      `http://bob:${PASSWORD}@127.0.0.1:1`,
      "--server-wait",
      "1s",
    ]);
    expectCleanError(run, 1, /no server reachable: http:\/\/127\.0\.0\.1:1/);
    expect(everything(out, run)).not.toContain(PASSWORD);
    expect(everything(out, run)).not.toContain("bob");
  }, 60_000);

  it("--api-key on the command line is refused (it would show in ps), without echoing the key", async () => {
    const run = await runCli("datagen", ["generate", "--server", "http://127.0.0.1:1", "--api-key", KEY, "--out", join(dir, "visible")]);
    expectCleanError(run, 2, /--api-key would show the key .* DATAGEN_API_KEY .* --api-key-file/);
    expect(run.stderr).not.toContain(KEY);
  });
});

describe("a real llama-server started with --api-key", () => {
  let server: LlamaServer;
  beforeAll(async () => {
    server = await startLlamaServer(await ensureSmokeModel(), undefined, { slots: 1, args: ["--api-key", KEY] });
  }, 240_000);
  const base = ["generate", "--persona", "none", "--count", "1", "--server-wait", "5s"];

  it("without the key: a usage error that says how to give it", async () => {
    const run = await runCli("datagen", [...base, "--out", join(dir, "nokey"), "--server", server.url]);
    expectCleanError(run, 2, /HTTP 401: the server wants an API key .* DATAGEN_API_KEY .* --api-key-file/);
  }, 120_000);

  it("DATAGEN_API_KEY (and user:password in the URL): the run works; neither the key nor the password is in run.json, --json or stderr", async () => {
    const out = join(dir, "env");
    const url = server.url.replace("http://", `http://bob:${PASSWORD}@`);
    const run = await runCli("datagen", [...base, "--out", out, "--server", url, "--json"], { env: { DATAGEN_API_KEY: KEY } });
    expect(run.code, run.stderr).toBe(0);
    const summary = JSON.parse(run.stdout) as { records: number; servers: { url: string; requests: number }[] };
    expect(summary.records).toBe(1);
    expect(summary.servers[0].url).toBe(server.url);
    expect(summary.servers[0].requests).toBeGreaterThan(0);
    const run_json = JSON.parse(readFileSync(join(out, "run.json"), "utf8")) as { settings: { servers: string[] } };
    expect(run_json.settings.servers).toEqual([redactUrl(url)]);
    const all = everything(out, run);
    expect(all).not.toContain(KEY);
    expect(all).not.toContain(PASSWORD);
  }, 180_000);

  it("--api-key-file: the key is read from the file; only the file's path is stored", async () => {
    const out = join(dir, "file");
    const file = join(dir, "server.key");
    writeFileSync(file, `${KEY}\n`, { mode: 0o600 });
    const run = await runCli("datagen", [...base, "--out", out, "--server", server.url, "--api-key-file", file]);
    expect(run.code, run.stderr).toBe(0);
    const run_json = JSON.parse(readFileSync(join(out, "run.json"), "utf8")) as { settings: { apiKeyFile: string } };
    expect(run_json.settings.apiKeyFile).toBe(file);
    expect(everything(out, run)).not.toContain(KEY);
  }, 180_000);
});
