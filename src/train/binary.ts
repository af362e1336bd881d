// Where the bundled native trainer lives and how it is built (trainer/Makefile, g++ with OpenMP).
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { DatagenError } from "../core/errors.js";
import { projectRoot } from "../core/project.js";

const run = promisify(execFile);

/** The trainer binary: env DATAGEN_TRAINER_BIN, else <project>/trainer/build/train_gpt_oss. */
export function trainerBinaryPath(): string {
  return process.env.DATAGEN_TRAINER_BIN ?? join(projectRoot(), "trainer", "build", "train_gpt_oss");
}

/** The float64 correctness-check binary built beside the trainer. */
export function trainerTestBinaryPath(): string {
  return join(projectRoot(), "trainer", "build", "test_gpt_oss");
}

/** The build command the install step runs (make is a no-op when the binaries are up to date). */
export const TRAINER_BUILD_COMMAND = "make -C trainer";

/** Runs the build; concurrent callers (parallel test files) are serialized by flock on one lock file. */
export async function buildTrainer(): Promise<void> {
  const lock = join(tmpdir(), "datagen-trainer-build.lock");
  try {
    await run("flock", [lock, "make", "-C", join(projectRoot(), "trainer")], { maxBuffer: 16 << 20 });
  } catch (err) {
    const detail = err instanceof Error && "stderr" in err ? String((err as { stderr: unknown }).stderr) : String(err);
    throw new DatagenError(
      `building the trainer failed (${TRAINER_BUILD_COMMAND}; needs g++ with C++17 and OpenMP):`,
      detail.trimEnd().split("\n"),
    );
  }
}

/** The binary's path, or an error that says how to build it. */
export function requireTrainerBinary(): string {
  const path = trainerBinaryPath();
  if (!existsSync(path)) {
    throw new DatagenError(`the native trainer is not built (${path} is missing); run \`${TRAINER_BUILD_COMMAND}\` in the project root`);
  }
  return path;
}
