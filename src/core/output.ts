// Where commands write: one set of rules for every output folder and output file.
//
// - An output never overlaps an input (real paths): an input inside, or equal to, the output is
//   refused before anything is touched.
// - A folder holding anything we did not write is refused, even with --force.
// - A folder holding a finished output of ours is refused unless --force (replace) or --resume.
// - --force never deletes the old output first: the new one is written into a sibling folder
//   OUT.datagen-new and swapped in at the end (OUT → OUT.datagen-old, OUT.datagen-new → OUT, remove
//   OUT.datagen-old). A run killed at any point leaves the old or the new output complete at OUT (or,
//   between the two renames, at OUT.datagen-old / OUT.datagen-new); the next run on OUT finishes or
//   undoes the swap and removes the leftover.
// - A single output file is written to FILE.partial beside it, fsync'd and renamed over FILE.
// - One writer per output: every command locks its output folder or file first (lockOutput, at the
//   end of this file); a second run on it is refused, naming the holder.
// - Folders are created one level at a time: Node's recursive mkdir spins forever on paths such as
//   /proc/x (it retries ENOENT under a parent that exists but refuses new entries).
import { createHash } from "node:crypto";
import {
  chmodSync,
  closeSync,
  fsyncSync,
  linkSync,
  lstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  realpathSync,
  renameSync,
  rmdirSync,
  rmSync,
  statSync,
  writeFileSync,
  writeSync,
  type Stats,
} from "node:fs";
import { tmpdir } from "node:os";
import { basename, dirname, join, resolve, sep } from "node:path";
import { DatagenError, UsageError } from "./errors.js";

/** Suffixes of the sibling folders of a --force swap. */
export const STAGING_SUFFIX = ".datagen-new";
export const REPLACED_SUFFIX = ".datagen-old";
/** A single output file is written under this suffix, then renamed. */
export const PARTIAL_FILE_SUFFIX = ".partial";

/** What one command writes into its output folder. */
export interface OutputKind {
  /** For messages: "a packed dataset", "a training run". */
  what: string;
  /** True for every file or folder name this command may leave in its output folder. */
  isOurs(name: string): boolean;
  /** The entries of a finished output (e.g. it has manifest.json): a swap interrupted between its renames keeps such a new folder. */
  isComplete(names: string[]): boolean;
  /** Entries left by a killed run that hold nothing worth keeping (e.g. a dataset without manifest): cleared without --force. */
  isDisposable?(names: string[]): boolean;
  /** How to get past the refusal of a finished output, e.g. "pass --force to replace it". */
  howToReplace: string;
}

export type OutputDirState =
  | { kind: "missing" }
  | { kind: "empty" }
  | { kind: "ours"; names: string[] }
  | { kind: "foreign"; names: string[]; foreign: string[] };

/** Turns a failed file-system call on an output path into a one-line error (exit 2 for a path that cannot be used). */
export function outputFsError(err: unknown, action: string, path: string): DatagenError {
  const e = err as NodeJS.ErrnoException;
  if (err instanceof DatagenError || typeof e?.code !== "string")
    return err instanceof DatagenError ? err : new DatagenError(`cannot ${action} ${path}: ${String(e?.message ?? err)}`);
  const reason = `${e.code}${e.message ? `: ${e.message.replace(/^[A-Z]+: /, "").replace(/, \w+ '.*'$/, "")}` : ""}`;
  const usage = ["ENOENT", "EACCES", "EPERM", "EROFS", "ENOTDIR", "EISDIR", "EEXIST", "ENAMETOOLONG", "ELOOP", "EINVAL", "EXDEV", "EBUSY"];
  return usage.includes(e.code)
    ? new UsageError(`cannot ${action} ${path} (${reason})`)
    : new DatagenError(`cannot ${action} ${path} (${reason})`);
}

function statOrNull(path: string): Stats | null {
  try {
    return statSync(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw outputFsError(err, "read", path);
  }
}

/** mkdir -p, one level at a time from the nearest folder that exists; a clear error instead of Node's endless retry. */
export function makeDirs(dir: string): void {
  const missing: string[] = [];
  let at = resolve(dir);
  for (;;) {
    const st = statOrNull(at);
    if (st) {
      if (!st.isDirectory()) throw new UsageError(`cannot create folder ${dir}: ${at} is not a folder`);
      break;
    }
    missing.unshift(at);
    const parent = dirname(at);
    if (parent === at) break;
    at = parent;
  }
  for (const path of missing) {
    try {
      mkdirSync(path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "EEXIST" && statOrNull(path)?.isDirectory()) continue;
      throw outputFsError(err, "create folder", path);
    }
  }
}

/** The real path of a path that may not exist yet: its nearest existing ancestor resolved, the rest appended. */
export function realPathOf(path: string): string {
  const rest: string[] = [];
  let at = resolve(path);
  for (;;) {
    try {
      return join(realpathSync(at), ...rest);
    } catch {
      const parent = dirname(at);
      if (parent === at) return join(at, ...rest);
      rest.unshift(basename(at));
      at = parent;
    }
  }
}

const within = (path: string, folder: string): boolean => path === folder || path.startsWith(folder.endsWith(sep) ? folder : folder + sep);

/** Refuses an output (folder or file) that is, or contains, one of the inputs. */
export function assertOutputApart(out: string, inputs: readonly string[], flag = "--out"): void {
  const realOut = realPathOf(out);
  for (const input of inputs) {
    const realInput = realPathOf(input);
    if (within(realInput, realOut)) {
      const how = realInput === realOut ? "is" : "contains";
      throw new UsageError(
        `${flag} ${out} ${how} the input ${input}: writing there would destroy what is being read; choose another ${flag}`,
      );
    }
  }
}

/** "-" means stdin for inputs; as an output it would silently become a file or folder named "-" in the current folder. */
function refuseStdoutDash(path: string, flag: string, what: "file" | "folder"): void {
  if (path === "-") throw new UsageError(`${flag} -: this output is written to a ${what}, not to stdout; name a ${what}`);
}

/** What a folder holds, judged by the names one command writes. A path that is a file is a usage error. */
export function inspectOutputDir(dir: string, kind: OutputKind, flag = "--out"): OutputDirState {
  refuseStdoutDash(dir, flag, "folder");
  const st = statOrNull(dir);
  if (!st) return { kind: "missing" };
  if (!st.isDirectory()) throw new UsageError(`${flag} ${dir} exists and is not a folder`);
  let names: string[];
  try {
    names = readdirSync(dir).sort();
  } catch (err) {
    throw outputFsError(err, "read folder", dir);
  }
  if (names.length === 0) return { kind: "empty" };
  const foreign = names.filter((n) => !kind.isOurs(n));
  return foreign.length > 0 ? { kind: "foreign", names, foreign } : { kind: "ours", names };
}

export function foreignError(dir: string, foreign: string[], flag = "--out"): UsageError {
  const shown = foreign.slice(0, 5).join(", ") + (foreign.length > 5 ? `, … (${foreign.length} in all)` : "");
  return new UsageError(`${flag} ${dir} holds files datagen did not write (${shown}); use an empty or new folder`);
}

/** An output folder opened for writing: write into `dir`, then commit() (or abort() on failure). */
export interface OutputDir {
  /** The folder the caller asked for. */
  readonly final: string;
  /** Where to write now: `final` itself, or its sibling staging folder when replacing. */
  readonly dir: string;
  readonly replacing: boolean;
  /** Makes the written output the one at `final` (the swap, when replacing). */
  commit(): void;
  /** After a failure: drops the staging folder (the old output stays); in place, leaves what was written. */
  abort(): void;
}

export interface OpenOutputOptions {
  flag?: string;
  /** Replace a finished output of ours (swap at commit). */
  force?: boolean;
  /** Continue in a finished output of ours, in place. */
  resume?: boolean;
  /** Paths this run reads: none may be, or be inside, the output. */
  inputs?: readonly string[];
}

/** Applies the rules at the top of this file and returns where to write. Nothing is deleted before every check passed. */
export function openOutputDir(out: string, kind: OutputKind, options: OpenOutputOptions = {}): OutputDir {
  try {
    return releasingLock(out, openLockedOutputDir(out, kind, options));
  } catch (err) {
    releaseOutputLock(out);
    throw err;
  }
}

/** The output's lock goes with its commit or abort (the command is done with it), else at exit. */
function releasingLock(out: string, dir: OutputDir): OutputDir {
  return {
    ...dir,
    commit: () => {
      try {
        dir.commit();
      } finally {
        releaseOutputLock(out);
      }
    },
    abort: () => {
      try {
        dir.abort();
      } finally {
        releaseOutputLock(out);
      }
    },
  };
}

function openLockedOutputDir(out: string, kind: OutputKind, options: OpenOutputOptions): OutputDir {
  const flag = options.flag ?? "--out";
  refuseStdoutDash(out, flag, "folder");
  if (options.force && options.resume)
    throw new UsageError("--force and --resume exclude each other: --resume continues the output, --force replaces it");
  assertOutputApart(out, options.inputs ?? [], flag);
  lockOutput(out, flag);
  const final = realPathOf(out);
  // Recovery removes (or renames) these leftovers: an input read from one of them would be lost.
  for (const leftover of [final + STAGING_SUFFIX, final + REPLACED_SUFFIX]) {
    const input = (options.inputs ?? []).find((path) => within(realPathOf(path), leftover));
    if (input !== undefined)
      throw new UsageError(
        `the input ${input} is in ${leftover}, which ${flag} ${out} would clear as an interrupted run's leftover; ` +
          `move the input elsewhere or choose another ${flag}`,
      );
  }
  recoverInterruptedSwap(final, kind, flag);
  const state = inspectOutputDir(final, kind, flag);
  if (state.kind === "foreign") throw foreignError(out, state.foreign, flag);
  if (options.resume) {
    if (state.kind !== "ours") throw new UsageError(`--resume: ${out} holds no ${kind.what.replace(/^an? /, "")} to continue`);
    return inPlace(final);
  }
  if (state.kind === "missing") {
    makeDirs(final);
    return inPlace(final, true);
  }
  if (state.kind === "empty") return inPlace(final);
  if (kind.isDisposable?.(state.names)) {
    for (const name of state.names) removeEntry(join(final, name));
    return inPlace(final);
  }
  if (!options.force)
    throw new UsageError(
      `${flag} ${out} already holds ${kind.what} (${state.names.slice(0, 3).join(", ")}${state.names.length > 3 ? ", …" : ""}); ` +
        `${kind.howToReplace}`,
    );
  return staged(final, out);
}

function removeEntry(path: string): void {
  try {
    rmSync(path, { recursive: true, force: true });
  } catch (err) {
    throw outputFsError(err, "remove", path);
  }
}

function inPlace(final: string, created = false): OutputDir {
  // Nothing old is at stake here; a failed run keeps what it wrote for inspection (pack clears its
  // own partial files). A folder this run created and left empty goes: a failed run leaves no trace.
  const abort = () => {
    if (!created) return;
    try {
      rmdirSync(final); // fails, and keeps the folder, once anything is in it
    } catch {
      // not empty, or already gone
    }
  };
  return { final, dir: final, replacing: false, commit: () => syncDir(final), abort };
}

function staged(final: string, shown: string): OutputDir {
  const staging = final + STAGING_SUFFIX;
  const replaced = final + REPLACED_SUFFIX;
  try {
    mkdirSync(staging);
  } catch (err) {
    throw outputFsError(err, `create the folder beside ${shown} that replaces it,`, staging);
  }
  // A process that exits part way (Ctrl-C) takes its unfinished replacement with it; after kill -9
  // the next run removes it.
  const dropStaging = () => rmSync(staging, { recursive: true, force: true });
  process.once("exit", dropStaging);
  return {
    final,
    dir: staging,
    replacing: true,
    commit: () => {
      process.off("exit", dropStaging);
      syncDir(staging);
      try {
        renameSync(final, replaced);
      } catch (err) {
        throw outputFsError(err, "move the old output aside to", replaced);
      }
      try {
        renameSync(staging, final);
      } catch (err) {
        renameSync(replaced, final); // put the old output back: nothing was lost
        throw outputFsError(err, "move the new output into", final);
      }
      syncDir(dirname(final));
      rmSync(replaced, { recursive: true, force: true });
    },
    abort: () => {
      process.off("exit", dropStaging);
      dropStaging();
    },
  };
}

/**
 * The leftovers of a swap killed part way: OUT.datagen-old beside a missing OUT means the kill came
 * between the two renames (the new output wins when it is complete); OUT.datagen-old beside OUT, or
 * OUT.datagen-new beside OUT, are a finished swap's or a killed run's leftovers and are removed.
 * A leftover that holds anything we did not write is left alone and refused.
 */
export function recoverInterruptedSwap(final: string, kind: OutputKind, flag = "--out"): void {
  const staging = final + STAGING_SUFFIX;
  const replaced = final + REPLACED_SUFFIX;
  const checked = (path: string): string[] | null => {
    const st = lstatOrNull(path);
    if (!st) return null;
    const state = st.isDirectory() ? inspectOutputDir(path, kind, flag) : null;
    if (!state || state.kind === "foreign")
      throw new UsageError(`${path} is in the way of ${flag} ${final} and was not left by datagen; move it away`);
    return state.kind === "ours" ? state.names : [];
  };
  const replacedNames = checked(replaced);
  const stagingNames = checked(staging);
  if (replacedNames && !lstatOrNull(final)) {
    if (stagingNames && kind.isComplete(stagingNames)) renameSync(staging, final);
    else renameSync(replaced, final);
    syncDir(dirname(final));
  }
  if (lstatOrNull(replaced)) removeEntry(replaced);
  if (lstatOrNull(staging)) removeEntry(staging);
}

function lstatOrNull(path: string): Stats | null {
  try {
    return lstatSync(path);
  } catch {
    return null;
  }
}

/** fsync a folder so that renames in it survive a power loss (best effort where the system refuses). */
function syncDir(dir: string): void {
  let fd = -1;
  try {
    fd = openSync(dir, "r");
    fsyncSync(fd);
  } catch {
    /* some file systems cannot fsync a folder */
  } finally {
    if (fd >= 0) closeSync(fd);
  }
}

/**
 * Checks an output file before the work that produces it: not a folder, not an input, and its
 * folder exists or can be created. `inputs`: paths the run reads.
 */
export function checkOutputFile(path: string, flag: string, inputs: readonly string[] = []): void {
  refuseStdoutDash(path, flag, "file");
  const st = statOrNull(path);
  if (st?.isDirectory()) throw new UsageError(`${flag} ${path} is a folder; name a file`);
  if (st && !st.isFile()) throw new UsageError(`${flag} ${path} exists and is not a regular file (a device, pipe or socket); name a file`);
  assertOutputApart(path, inputs, flag);
  // The file is first written as FILE.partial: an input of that name would be truncated, then renamed away.
  const partial = path + PARTIAL_FILE_SUFFIX;
  for (const input of inputs) {
    if (realPathOf(input) === realPathOf(partial))
      throw new UsageError(
        `${flag} ${path} is written first as ${partial}, which is the input ${input}: ` +
          `writing there would destroy what is being read; choose another ${flag}`,
      );
  }
  // Not ours to overwrite: a file of the user's, or what a killed run (kill -9) left; either way a person decides.
  lockOutput(path, flag);
  if (statOrNull(partial))
    throw new UsageError(
      `${flag} ${path} is written first as ${partial}, which already exists (a file of yours, or what an interrupted run left): ` +
        `remove it or choose another ${flag}`,
    );
  let at = dirname(resolve(path));
  while (!statOrNull(at)) at = dirname(at);
  if (!statSync(at).isDirectory()) throw new UsageError(`${flag} ${path}: ${at} is not a folder`);
}

/**
 * Writes a whole file atomically (an AtomicFile written and committed at once). The file's folder
 * is created when missing.
 */
export function writeFileAtomic(path: string, content: string | Uint8Array, flag?: string): void {
  const file = new AtomicFile(path, flag ? `${flag} ${path}` : path);
  file.write(content);
  file.commit();
}

/**
 * The one atomic file writer of every command: the content goes to FILE.partial (in batches of
 * about 1 MiB), and commit() fsyncs it, renames it over FILE and fsyncs the folder, so a reader,
 * or a run killed at any point, sees the old file or the new one, never a torn one. discard(), or
 * the process exiting before commit (Ctrl-C), removes the partial file. A folder, a device or a
 * pipe at FILE is refused (renaming over /dev/null as root would replace it); every failed call is
 * one error naming the file (`shown`, e.g. "--out x.jsonl").
 */
export class AtomicFile {
  readonly partial: string;
  /** Bytes handed to write() so far. */
  bytes = 0;
  private fd = -1;
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private readonly removeOnExit = (): void => rmSync(this.partial, { force: true });

  constructor(
    readonly path: string,
    private readonly shown = path,
  ) {
    const existing = statOrNull(path);
    if (existing?.isDirectory()) throw new UsageError(`cannot write ${shown}: it is a folder`);
    if (existing && !existing.isFile()) throw new UsageError(`cannot write ${shown}: it exists and is not a regular file`);
    this.partial = path + PARTIAL_FILE_SUFFIX;
  }

  write(content: string | Uint8Array): void {
    const data =
      typeof content === "string" ? Buffer.from(content, "utf8") : Buffer.from(content.buffer, content.byteOffset, content.byteLength);
    this.pending.push(data);
    this.pendingBytes += data.length;
    this.bytes += data.length;
    if (this.pendingBytes >= 1 << 20) this.flush();
  }

  commit(): void {
    this.flush();
    try {
      fsyncSync(this.fd);
      closeSync(this.fd);
      this.fd = -1;
      renameSync(this.partial, this.path);
    } catch (err) {
      this.discard();
      throw outputFsError(err, "write", this.shown);
    }
    process.off("exit", this.removeOnExit);
    syncDir(dirname(this.path));
    releaseOutputLock(this.path); // a no-op unless this file is a locked output (checkOutputFile)
  }

  /** After a failure: close and remove the partial file (the old FILE, if any, stays). */
  discard(): void {
    if (this.fd >= 0) {
      try {
        closeSync(this.fd);
      } catch {
        // already failing: the partial file is removed below either way
      }
    }
    this.fd = -1;
    this.pending = [];
    this.pendingBytes = 0;
    rmSync(this.partial, { force: true });
    process.off("exit", this.removeOnExit);
    releaseOutputLock(this.path);
  }

  private flush(): void {
    try {
      if (this.fd < 0) {
        makeDirs(dirname(this.path));
        process.once("exit", this.removeOnExit);
        this.fd = openSync(this.partial, "w");
      }
      for (const data of this.pending) {
        for (let done = 0; done < data.length; ) {
          const n = writeSync(this.fd, data, done, data.length - done);
          if (n <= 0) throw new DatagenError(`cannot write ${this.shown}: the file system accepted no bytes`);
          done += n;
        }
      }
    } catch (err) {
      this.discard();
      throw err instanceof DatagenError ? err : outputFsError(err, "write", this.shown);
    }
    this.pending = [];
    this.pendingBytes = 0;
  }
}

/**
 * One writer per output. Every command takes this lock on each output folder or file before it
 * touches it (openOutputDir, checkOutputFile and generate's claimOutputDir call it); a second run on
 * the same output is refused, naming the holder. The lock is a small file in a shared folder
 * (TMPDIR/datagen-locks, named by a hash of the output's real path, so nothing is added beside the
 * output), holding the pid and the process's start time. It goes when the process exits; one left by
 * a killed holder (kill -9) is stale once that pid is gone or belongs to a later process, and the
 * next run takes it over. Locks are per process: the same process may claim an output again.
 */
const held = new Map<string, string>();
let exitHooked = false;

interface LockHolder {
  pid: number;
  /** Clock ticks since boot when the process started (/proc/PID/stat field 22); null off Linux. */
  start: number | null;
  command: string;
  output: string;
  since: string;
}

/** The folder of lock files; made world-writable (sticky) so that users sharing TMPDIR can each lock. */
export function lockFolder(): string {
  const dir = join(tmpdir(), "datagen-locks");
  if (!statOrNull(dir)) {
    try {
      mkdirSync(dir, { mode: 0o1777 });
      chmodSync(dir, 0o1777);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw outputFsError(err, "create the lock folder", dir);
    }
  }
  return dir;
}

function processStart(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const start = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19]);
    return Number.isFinite(start) ? start : null;
  } catch {
    return null;
  }
}

/** A holder is alive when its pid answers and (where the system tells) started when the lock says. */
function holderAlive(holder: LockHolder): boolean {
  try {
    process.kill(holder.pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "EPERM") return false;
  }
  const start = processStart(holder.pid);
  return holder.start === null || start === null || start === holder.start;
}

function readHolder(path: string): LockHolder | null {
  try {
    const value = JSON.parse(readFileSync(path, "utf8")) as Partial<LockHolder>;
    return Number.isInteger(value.pid) && (value.pid as number) > 0 ? (value as LockHolder) : null;
  } catch {
    return null; // torn or foreign: treated as stale
  }
}

/** Takes the lock on an output (folder or file) for this process, or refuses with the holder (exit 2). */
export function lockOutput(out: string, flag = "--out"): void {
  const real = realPathOf(out);
  if (held.has(real)) return;
  const dir = lockFolder();
  const path = join(dir, `${createHash("sha256").update(real).digest("hex").slice(0, 32)}.lock`);
  const me: LockHolder = {
    pid: process.pid,
    start: processStart(process.pid),
    command: `datagen ${process.argv[2] ?? ""}`.trim(),
    output: real,
    since: new Date().toISOString(),
  };
  const mine = join(dir, `${basename(path)}.${process.pid}.new`);
  try {
    writeFileSync(mine, JSON.stringify(me) + "\n", { mode: 0o644 });
  } catch (err) {
    throw outputFsError(err, "write a lock file in", dir);
  }
  try {
    for (let tries = 0; ; tries++) {
      try {
        linkSync(mine, path); // atomic: fails when a lock is there
        break;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw outputFsError(err, "create the lock file", path);
      }
      const holder = readHolder(path);
      if (holder && holderAlive(holder) && holder.pid !== process.pid) {
        throw new UsageError(
          `${flag} ${out} is being written by another datagen run (pid ${holder.pid}, ${holder.command}, since ${holder.since}); ` +
            `wait for it to end or stop it, then rerun (lock: ${path})`,
        );
      }
      if (tries >= 3) throw new UsageError(`${flag} ${out}: cannot take its lock ${path} (it keeps changing); rerun`);
      takeOverStale(path, holder);
    }
  } finally {
    rmSync(mine, { force: true });
  }
  held.set(real, path);
  if (!exitHooked) {
    exitHooked = true;
    process.once("exit", releaseOutputLocks);
  }
}

/** Moves a stale lock aside and removes it; a lock that changed meanwhile (a live run took it) is put back. */
function takeOverStale(path: string, seen: LockHolder | null): void {
  const aside = `${path}.${process.pid}.stale`;
  try {
    renameSync(path, aside);
  } catch {
    return; // gone already: another run removed it
  }
  const moved = readHolder(aside);
  if (moved && seen && (moved.pid !== seen.pid || moved.start !== seen.start) && holderAlive(moved)) {
    try {
      linkSync(aside, path);
    } catch {
      // a third run holds it now; the next try reads that one
    }
  }
  rmSync(aside, { force: true });
}

/** Drops this process's lock on one output, when it holds one: the command is done writing it. */
export function releaseOutputLock(out: string): void {
  const real = realPathOf(out);
  const path = held.get(real);
  if (path === undefined) return;
  if (readHolder(path)?.pid === process.pid) rmSync(path, { force: true });
  held.delete(real);
}

/** Drops every lock this process holds (at exit). */
export function releaseOutputLocks(): void {
  for (const real of [...held.keys()]) releaseOutputLock(real);
}
