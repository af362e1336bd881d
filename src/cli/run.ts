// Shared CLI plumbing: one top-level catch that maps our error classes to exit codes, and one
// SIGINT/SIGTERM/SIGHUP handler for every command (a closed terminal stops a run like Ctrl-C).
import { availableParallelism } from "node:os";
import { type Command, CommanderError, InvalidArgumentError } from "commander";
import { DatagenError } from "../core/errors.js";
import { escapeControls } from "../core/escape.js";
import { outputFsError } from "../core/output.js";
import { redactText } from "../core/redact.js";

/**
 * Parse argv and run; known errors become a one-line message and their exit code.
 * The program is created with .exitOverride() before its subcommands are added: commander copies
 * that setting to each subcommand when it is created, so every usage error exits 2.
 */
export async function runProgram(program: Command, argv: string[] = process.argv): Promise<void> {
  exitQuietlyWhenStdoutCloses();
  stopOnSignals();
  let code = 0;
  try {
    await program.parseAsync(argv);
  } catch (err) {
    code = exitCodeFor(err);
  }
  if (interruptedBy !== undefined) code = SIGNAL_EXIT_CODES[interruptedBy];
  // After an error or an interruption nothing more is owed: end now, even if a worker thread, a
  // timer or a child's pipe is still open (a leaked handle must not turn an error into a hang).
  // What is already written to stdout and stderr goes first: process.exit drops what a pipe whose
  // reader lags still holds (validate's last problem lines before a damaged input were lost so).
  if (code !== 0) {
    await Promise.all([flushed(process.stdout), flushed(process.stderr)]);
    process.exit(code);
  }
}

/** Resolves once every write made so far to `stream` has been handed to the system (or has failed). */
function flushed(stream: NodeJS.WriteStream): Promise<void> {
  if (stream.writableLength === 0 || stream.destroyed) return Promise.resolve();
  return new Promise((resolve) => stream.write("", () => resolve()));
}

/** Exit status of a command stopped by a signal: 128 + the signal's number, as a shell reports it. */
export const SIGNAL_EXIT_CODES = { SIGINT: 130, SIGTERM: 143, SIGHUP: 129 } as const;
type StopSignalName = keyof typeof SIGNAL_EXIT_CODES;

let interruptedBy: StopSignalName | undefined;
const interruption = new AbortController();
let stopsGracefully = false;

/**
 * For a command that can stop cleanly (finish the step in flight, write a checkpoint or run.json):
 * the signal aborts on the first SIGINT/SIGTERM/SIGHUP and the command winds down; the process then
 * exits 130 (SIGINT), 143 (SIGTERM) or 129 (SIGHUP) whatever the command returned. Commands that never call this are
 * ended at once by the first signal (their worker threads go with the process). A second signal
 * always ends the process at once.
 */
export function gracefulStopSignal(): AbortSignal {
  stopsGracefully = true;
  return interruption.signal;
}

function stopOnSignals(): void {
  // After SIGHUP the terminal is gone: a progress line written to it fails (EIO), and that failure
  // must not end the run before it has wound down. Nothing is left to report it to.
  process.stderr.on("error", () => undefined);
  for (const name of Object.keys(SIGNAL_EXIT_CODES) as StopSignalName[]) {
    process.on(name, () => {
      const code = SIGNAL_EXIT_CODES[name];
      if (interruptedBy !== undefined || !stopsGracefully) {
        process.stderr.write(`\n${name}: stopped\n`);
        process.exit(interruptedBy === undefined ? code : SIGNAL_EXIT_CODES[interruptedBy]);
      }
      interruptedBy = name;
      process.stderr.write(`\n${name}: finishing cleanly (send it again to stop at once)\n`);
      interruption.abort();
    });
  }
}

/**
 * `datagen render … | head`: once the reader is gone, stop with the usual status of a closed pipe
 * instead of an unhandled EPIPE stack trace. Any other failure to write the results (a full disk,
 * `> /dev/full`) is one line and exit 1: the output is incomplete.
 */
function exitQuietlyWhenStdoutCloses(): void {
  process.stdout.on("error", (err: NodeJS.ErrnoException) => {
    if (err.code === "EPIPE") process.exit(141); // 128 + SIGPIPE, what a C tool killed by the signal reports
    process.stderr.write(`error: cannot write to stdout (${err.code ?? err.message}); the output is incomplete\n`);
    process.exit(1);
  });
}

function exitCodeFor(err: unknown): number {
  if (err instanceof InvalidArgumentError) {
    // Thrown by a command's own checks: commander prints only the errors it raises while parsing
    // (those reach us as a plain CommanderError), so this one is still unsaid.
    process.stderr.write(`error: ${printableMessage(err)}\n`);
    return 2;
  }
  if (err instanceof CommanderError) {
    // --help and --version exit 0; every other commander error is a usage error.
    return err.exitCode === 0 ? 0 : 2;
  }
  if (err instanceof DatagenError) {
    process.stderr.write(`error: ${printableMessage(err)}\n`);
    return err.exitCode;
  }
  const system = err as NodeJS.ErrnoException;
  if (err instanceof Error && typeof system.code === "string" && typeof system.syscall === "string") {
    // A file-system call that failed on a path the user gave (a missing folder, no permission, a
    // full disk) is not a bug: one line naming the call and the path, no stack.
    return exitCodeFor(outputFsError(err, system.syscall, system.path ?? "(no path)"));
  }
  // A bug, not a user's mistake: keep the stack, it is what a bug report needs.
  process.stderr.write(`internal error: ${redactText(err instanceof Error ? (err.stack ?? err.message) : String(err))}\n`);
  return 70;
}

/**
 * The message as one line, its control characters escaped (it may quote the user's ids and text),
 * then the error's detail lines, each escaped and indented: nothing can pass for a line of its own.
 */
function printableMessage(err: DatagenError | InvalidArgumentError): string {
  const details = err instanceof DatagenError ? err.details : [];
  return [escapeControls(redactText(err.message)), ...details.map((line) => `  ${escapeControls(redactText(line))}`)].join("\n");
}

/** Parse a positive integer option strictly (commander argParser), at most `max` when given. */
export function positiveInt(name: string, max = Number.MAX_SAFE_INTEGER) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n <= 0 || n > max) {
      const range = max === Number.MAX_SAFE_INTEGER ? "a positive integer" : `an integer in 1..${max}`;
      throw new InvalidArgumentError(`${name} must be ${range}, got "${escapeControls(value)}"`);
    }
    return n;
  };
}

/**
 * `--threads` (train, generate): at most one per core of this machine. More only slows a CPU run,
 * and each trainer thread holds its own gradient buffers: --threads 100000 exhausted memory.
 */
export function threadCount(name = "--threads") {
  const cores = availableParallelism();
  const parse = positiveInt(name, cores);
  return (value: string): number => {
    try {
      return parse(value);
    } catch (e) {
      throw new InvalidArgumentError(`${(e as Error).message} (this machine has ${cores} cores)`);
    }
  };
}
