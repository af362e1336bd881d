// Shared CLI plumbing: one top-level catch that maps our error classes to exit codes.
import { Command, CommanderError, InvalidArgumentError } from "commander";
import { DatagenError } from "../core/errors.js";

/**
 * Parse argv and run; known errors become a one-line message and their exit code.
 * The program is created with .exitOverride() before its subcommands are added: commander copies
 * that setting to each subcommand when it is created, so every usage error exits 2.
 */
export async function runProgram(program: Command, argv: string[] = process.argv): Promise<void> {
  exitQuietlyWhenStdoutCloses();
  try {
    await program.parseAsync(argv);
  } catch (err) {
    process.exitCode = exitCodeFor(err);
  }
}

/**
 * `datagen render … | head`: once the reader is gone, stop with the usual status of a closed pipe
 * instead of an unhandled EPIPE stack trace.
 */
function exitQuietlyWhenStdoutCloses(): void {
  process.stdout.on("error", (err: NodeJS.ErrnoException) => {
    if (err.code !== "EPIPE") throw err;
    process.exit(141); // 128 + SIGPIPE, what a C tool killed by the signal reports
  });
}

function exitCodeFor(err: unknown): number {
  if (err instanceof CommanderError) {
    // --help and --version exit 0; every other commander error is a usage error.
    return err.exitCode === 0 ? 0 : 2;
  }
  if (err instanceof DatagenError) {
    process.stderr.write(`error: ${err.message}\n`);
    return err.exitCode;
  }
  process.stderr.write(`internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  return 70;
}

/** Parse a positive integer option strictly (commander argParser). */
export function positiveInt(name: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError(`${name} must be a positive integer, got "${value}"`);
    return n;
  };
}
