// What the generate stage reports while it runs; src/cli/progress.ts prints it.

export interface ProgressState {
  done: number;
  target: number;
  rejected: number;
  tokensPerSecond: number;
  etaSeconds: number | null;
}

const fmtEta = (s: number | null): string =>
  s === null || !Number.isFinite(s)
    ? "?"
    : s >= 3600
      ? `${(s / 3600).toFixed(1)}h`
      : s >= 60
        ? `${Math.round(s / 60)}m`
        : `${Math.round(s)}s`;

export function progressLine(s: ProgressState): string {
  return (
    `generate: ${s.done}/${s.target} records, ${s.rejected} rejected, ${s.tokensPerSecond.toFixed(0)} tok/s, ` +
    `ETA ${fmtEta(s.etaSeconds)}`
  );
}

/**
 * Seconds left, from the records this run has finished. Conversations run `capacity` at a time and
 * the first ones finish together, so until a whole first wave has finished, finished / elapsed reads
 * about `capacity` times too slow (at --concurrency 4 a first ETA of 48 min for an 11.6 min run):
 * no estimate until then.
 */
export function etaSeconds(finished: number, remaining: number, seconds: number, capacity: number): number | null {
  if (finished < Math.max(1, capacity) || seconds <= 0) return null;
  return remaining / (finished / seconds);
}
