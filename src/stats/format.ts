// Number formatting shared by the terminal tables and the HTML report.

export function int(n: number): string {
  return Math.round(n).toLocaleString("en-US");
}

export function pct(fraction: number, digits = 1): string {
  return `${(fraction * 100).toFixed(digits)} %`;
}

export function num(n: number, digits = 1): string {
  return Number.isInteger(n) ? int(n) : n.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits });
}

/** Rows of cells → aligned text (numeric columns right-aligned, the others left-aligned). */
export function table(header: string[], rows: string[][]): string {
  const all = [header, ...rows];
  const widths = header.map((_, c) => Math.max(...all.map((r) => (r[c] ?? "").length)));
  const numeric = header.map((_, c) => c > 0 && rows.length > 0 && rows.every((r) => /^[-\d]/.test(r[c] ?? "")));
  const line = (r: string[]) =>
    r
      .map((cell, c) => (numeric[c] ? cell.padStart(widths[c]) : cell.padEnd(widths[c])))
      .join("  ")
      .trimEnd();
  return [line(header), widths.map((w) => "-".repeat(w)).join("  "), ...rows.map(line)].join("\n");
}
