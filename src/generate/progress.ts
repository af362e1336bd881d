// Progress on stderr: a cli-progress bar on a TTY; plain lines (at most one per interval) otherwise.
import cliProgress from "cli-progress";

export interface ProgressState {
  done: number;
  target: number;
  rejected: number;
  tokensPerSecond: number;
  etaSeconds: number | null;
}

export interface ProgressReporter {
  update(state: ProgressState): void;
  stop(): void;
}

const fmtEta = (s: number | null): string => (s === null || !Number.isFinite(s) ? "?" : s >= 3600 ? `${(s / 3600).toFixed(1)}h` : s >= 60 ? `${Math.round(s / 60)}m` : `${Math.round(s)}s`);

export function createProgress(stream: NodeJS.WriteStream = process.stderr, intervalMs = 5000): ProgressReporter {
  return stream.isTTY ? barProgress(stream) : lineProgress(stream, intervalMs);
}

function barProgress(stream: NodeJS.WriteStream): ProgressReporter {
  const bar = new cliProgress.SingleBar(
    { stream, format: "generate [{bar}] {value}/{total} records | {rejected} rejected | {tps} tok/s | ETA {eta_text}", hideCursor: true, clearOnComplete: false },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  return {
    update(s) {
      const payload = { rejected: s.rejected, tps: s.tokensPerSecond.toFixed(0), eta_text: fmtEta(s.etaSeconds) };
      if (!started) {
        bar.start(s.target, s.done, payload);
        started = true;
      } else bar.update(s.done, payload);
    },
    stop() {
      if (started) bar.stop();
      started = false;
    },
  };
}

function lineProgress(stream: NodeJS.WriteStream, intervalMs: number): ProgressReporter {
  let last = 0;
  let lastDone = -1;
  let latest: ProgressState | undefined;
  const print = (s: ProgressState) => {
    stream.write(`generate: ${s.done}/${s.target} records, ${s.rejected} rejected, ${s.tokensPerSecond.toFixed(0)} tok/s, ETA ${fmtEta(s.etaSeconds)}\n`);
    last = Date.now();
    lastDone = s.done;
  };
  return {
    update(s) {
      latest = s;
      if (Date.now() - last >= intervalMs) print(s);
    },
    stop() {
      if (latest && latest.done !== lastDone) print(latest);
    },
  };
}
