// One way for CLI tests to run `datagen` / `dataset`: the built program (dist/, made by `npm test`'s
// build step), as a user runs it. Spawning the build instead of the sources through tsx saves each
// run the transform of every module it loads.
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { expect } from "vitest";

/** The built entry point of `bin`; a missing build is the test run's mistake, said plainly. */
export function builtCli(bin: "datagen" | "dataset"): string {
  const script = join(import.meta.dirname, "..", "..", "dist", "src", "cli", `${bin}.js`);
  if (!existsSync(script)) throw new Error(`${script} is missing: run npm run build first (npm test and npm run test:fast do)`);
  return script;
}

export interface CliRun {
  code: number | null;
  /** The signal that ended the child, if one did (null when it exited by itself). */
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  cwd?: string;
  /** Extra environment variables for the child (added to this process's). */
  env?: Record<string, string>;
  /** Bytes written to the child's stdin (then closed); without it stdin is closed from the start. */
  stdin?: Buffer;
  /** Called once the child is started, e.g. to signal it while it runs. */
  whileRunning?: (child: ChildProcess) => void;
  /** Called with all of stderr so far each time more arrives, e.g. to signal the child at a given progress line. */
  onStderr?: (stderr: string, child: ChildProcess) => void;
}

/** Runs the built `<bin>` with `args`; resolves with its exit code and whole output. */
export function runCli(bin: "datagen" | "dataset", args: string[], options: CliOptions = {}): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [builtCli(bin), ...args], {
      cwd: options.cwd,
      env: options.env ? { ...process.env, ...options.env } : undefined,
      stdio: [options.stdin ? "pipe" : "ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout!.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr!.on("data", (d: Buffer) => {
      stderr += d.toString();
      options.onStderr?.(stderr, child);
    });
    child.on("error", reject);
    child.on("close", (code, signal) => resolve({ code, signal, stdout, stderr }));
    if (options.stdin) child.stdin!.end(options.stdin);
    options.whileRunning?.(child);
  });
}

/** A user's mistake: exit `code`, `message` on stderr, and no internal error or stack trace. */
export function expectCleanError(run: CliRun, code: number, message: RegExp): void {
  expect(run.code, run.stderr).toBe(code);
  expect(run.stderr).toMatch(message);
  expect(run.stderr).not.toMatch(/internal error|\n\s+at /);
}
