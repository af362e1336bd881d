// Progress on stderr: one line rewritten in place on a terminal; plain lines, one every
// few seconds, when stderr is a pipe or a log file (so a run shorter than that prints none). Callers may report as often as they
// like: the line is only built when it will be written.

export interface ProgressStream {
  isTTY?: boolean;
  write(text: string): unknown;
}

export class StderrProgress {
  private shown = false;
  /** Starts as the creation time, so that short runs print no progress at all. */
  private lastAt: number;

  constructor(
    private readonly stream: ProgressStream = process.stderr,
    /** Least time between plain lines (not a TTY). */
    private readonly plainEveryMs = 5000,
    private readonly now: () => number = Date.now,
  ) {
    this.lastAt = now();
  }

  /** Shows `line()` unless a line was shown too recently (200 ms on a TTY, plainEveryMs otherwise). */
  report(line: () => string): void {
    const tty = this.stream.isTTY === true;
    const at = this.now();
    if (at - this.lastAt < (tty ? 200 : this.plainEveryMs)) return;
    this.lastAt = at;
    this.shown = true;
    this.stream.write(tty ? `\r${line()}\x1b[K` : `${line()}\n`);
  }

  /** On a TTY, clears the progress line so that what is written next starts on a clean line (the next report draws it again). */
  done(): void {
    if (this.shown && this.stream.isTTY === true) this.stream.write("\r\x1b[K");
    this.shown = false;
  }
}

/** "12 s" since `startedAt` (Date.now() milliseconds). */
export function elapsed(startedAt: number): string {
  return `${((Date.now() - startedAt) / 1000).toFixed(0)} s`;
}
