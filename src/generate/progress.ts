// What the generate stage reports while it runs; src/cli/progress.ts prints it.

export interface ProgressState {
  done: number;
  target: number;
  rejected: number;
  tokensPerSecond: number;
  etaSeconds: number | null;
}

const fmtEta = (s: number | null): string => (s === null || !Number.isFinite(s) ? "?" : s >= 3600 ? `${(s / 3600).toFixed(1)}h` : s >= 60 ? `${Math.round(s / 60)}m` : `${Math.round(s)}s`);

export function progressLine(s: ProgressState): string {
  return `generate: ${s.done}/${s.target} records, ${s.rejected} rejected, ${s.tokensPerSecond.toFixed(0)} tok/s, ETA ${fmtEta(s.etaSeconds)}`;
}
