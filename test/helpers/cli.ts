// One way for tests to run a child process and collect what it did. CLI tests run `datagen` /
// `dataset` through runCli: the built program (dist/, made by `npm test`'s build step), as a user
// runs it. Spawning the build instead of the sources through tsx saves each run the transform of
// every module it loads. runScript runs a few lines of TypeScript in a process of their own (a lock
// holder, a pool that must let its process end); runProgram runs any other program a test is about.
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
  /** An open file descriptor the child's stdout goes to (e.g. /dev/full) instead of being collected. */
  stdoutFd?: number;
  /** The child leads a process group of its own: `process.kill(-child.pid, signal)` reaches all of it, as a closing terminal does. */
  detached?: boolean;
  /** Kills the child with SIGKILL after this many ms: a hang then ends as signal SIGKILL rather than as the test's timeout. */
  timeoutMs?: number;
  /** Called once the child is started, e.g. to signal it while it runs. */
  whileRunning?: (child: ChildProcess) => void;
  /** Called with all of stderr so far each time more arrives, e.g. to signal the child at a given progress line. */
  onStderr?: (stderr: string, child: ChildProcess) => void;
  /** Called with all of stdout so far each time more arrives (not with stdoutFd), e.g. to signal the child at its first result. */
  onStdout?: (stdout: string, child: ChildProcess) => void;
  /**
   * Polled every `everyMs` (20 unless given) while the child runs: the first time `ready()` holds,
   * `act(child)` is called, once (e.g. to signal the child once a file exists); a `ready` that
   * throws counts as not yet. A child that ends first never gets `act`.
   */
  when?: { ready: () => boolean; act: (child: ChildProcess) => void | Promise<void>; everyMs?: number };
}

/** A started child and its whole run, once it has ended. */
export interface Started {
  child: ChildProcess;
  done: Promise<CliRun>;
}

/** Starts `file args` and collects its output (see CliOptions); `done` resolves when it has ended. */
export function startProgram(file: string, args: string[], options: CliOptions = {}): Started {
  const child = spawn(file, args, {
    cwd: options.cwd,
    env: options.env ? { ...process.env, ...options.env } : undefined,
    detached: options.detached,
    stdio: [options.stdin ? "pipe" : "ignore", options.stdoutFd ?? "pipe", "pipe"],
  });
  const done = new Promise<CliRun>((resolve, reject) => {
    let stdout = "";
    let stderr = "";
    child.stdout?.on("data", (d: Buffer) => {
      stdout += d.toString();
      options.onStdout?.(stdout, child);
    });
    child.stderr!.on("data", (d: Buffer) => {
      stderr += d.toString();
      options.onStderr?.(stderr, child);
    });
    const timer = options.timeoutMs === undefined ? undefined : setTimeout(() => child.kill("SIGKILL"), options.timeoutMs);
    const when = options.when;
    const poll = when
      ? setInterval(() => {
          let ready = false;
          try {
            ready = when.ready();
          } catch {
            // What it looks at is being written (a folder listed while files come and go): not yet.
          }
          if (!ready) return;
          clearInterval(poll);
          void when.act(child);
        }, when.everyMs ?? 20)
      : undefined;
    child.on("error", reject);
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      clearInterval(poll);
      resolve({ code, signal, stdout, stderr });
    });
  });
  if (options.stdin) child.stdin!.end(options.stdin);
  options.whileRunning?.(child);
  return { child, done };
}

/** Runs `file args` (a program the test is about: the trainer, python3, mkfifo) to its end. */
export function runProgram(file: string, args: string[], options: CliOptions = {}): Promise<CliRun> {
  return startProgram(file, args, options).done;
}

/** Runs the built `<bin>` with `args`; resolves with its exit code and whole output. */
export function runCli(bin: "datagen" | "dataset", args: string[], options: CliOptions = {}): Promise<CliRun> {
  return runProgram(process.execPath, [builtCli(bin), ...args], options);
}

/**
 * Starts node on `code`, an ES module that may import the sources (`.ts`, through tsx) by path;
 * `args` are its process.argv from index 1 on. For what needs a process of its own: a holder of a
 * lock killed later, a pool that must let its process end by itself.
 */
export function startScript(code: string, args: string[] = [], options: CliOptions = {}): Started {
  return startProgram(process.execPath, ["--import", import.meta.resolve("tsx"), "--input-type=module", "-e", code, ...args], options);
}

/** startScript, to its end. */
export function runScript(code: string, args: string[] = [], options: CliOptions = {}): Promise<CliRun> {
  return startScript(code, args, options).done;
}

/** A user's mistake: exit `code`, `message` on stderr, and no internal error or stack trace. */
export function expectCleanError(run: CliRun, code: number, message: RegExp): void {
  expect(run.code, run.stderr).toBe(code);
  expect(run.stderr).toMatch(message);
  expect(run.stderr).not.toMatch(/internal error|\n\s+at /);
}
