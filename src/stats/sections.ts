// The report's tables, as header + rows, shared by the terminal output and the HTML page.
import type { StatsReport } from "./report.js";
import type { Distribution } from "./quantiles.js";
import { int, num, pct } from "./format.js";
import { coverageSections } from "./coverage.js";
import { judgedSections } from "./judged.js";
import type { Section } from "./section.js";

export type { Section } from "./section.js";

export function reportSections(report: StatsReport): Section[] {
  const out: Section[] = [];
  const raw = report.raw;
  if (raw) {
    out.push({
      title: "Raw conversations",
      header: ["figure", "value"],
      rows: [
        ["files", int(raw.files.length)],
        ["records (valid)", int(raw.records)],
        ["invalid lines", int(raw.invalid.total)],
        ["rejects (rejects.jsonl)", int(raw.rejects.total)],
        ["tool calls", int(raw.tool_calls.total)],
        ["conversations with tool calls", int(raw.tool_calls.conversations_with_tools)],
        ["tokens", int(raw.tokens.total)],
        [`tokens trained (mask ${report.mask})`, `${int(raw.tokens.trained)} (${pct(raw.tokens.trained_fraction)})`],
        [
          "channel shares analysis / commentary / final",
          [raw.tokens.channel_shares.analysis, raw.tokens.channel_shares.commentary, raw.tokens.channel_shares.final]
            .map((s) => pct(s))
            .join(" / "),
        ],
        ["refusals (conversations)", `${int(raw.refusals.conversations)} (${pct(raw.refusals.rate)})`],
        [`documents (--documents ${report.documents})`, `${int(raw.documents.documents)} (${num(raw.documents.per_record)} per record)`],
        ["tokens per record", num(raw.documents.tokens_per_record)],
        ["repeated prefix tokens", `${int(raw.documents.repeated_prefix_tokens)} (${pct(raw.documents.repeated_prefix_share)} of tokens)`],
        ["analysis tokens dropped (untrained)", int(raw.documents.analysis_tokens_dropped)],
      ],
    });
    out.push({
      title: "Per persona",
      header: ["persona", "records", "share", "tokens", "mean tokens", "trained", "tool calls", "refusals"],
      rows: Object.entries(raw.personas).map(([name, p]) => [
        name,
        int(p.records),
        pct(p.share),
        int(p.tokens_total),
        num(p.tokens_mean),
        int(p.tokens_trained),
        int(p.tool_calls),
        `${int(p.refusals)} (${pct(p.refusal_rate)})`,
      ]),
    });
    out.push({
      title: "Per conversation",
      header: ["metric", "mean", "p50", "p90", "p99", "max"],
      rows: [
        distributionRow("messages", raw.messages),
        distributionRow("turns (user messages)", raw.turns),
        distributionRow("tool calls", raw.tool_calls.per_conversation),
        distributionRow("tokens", raw.tokens.per_conversation.total),
        distributionRow("tokens trained", raw.tokens.per_conversation.trained),
      ],
    });
    if (Object.keys(raw.tool_calls.by_tool).length > 0) {
      out.push({
        title: "Tool calls per tool",
        header: ["tool", "calls"],
        rows: Object.entries(raw.tool_calls.by_tool).map(([t, n]) => [t, int(n)]),
      });
    }
    const d = raw.duplicates;
    out.push({
      title: "Duplicates",
      header: ["texts", "count", "exact dup.", "near dup."],
      rows: [
        [
          "user prompts",
          int(d.user_prompts.texts),
          `${int(d.user_prompts.exact_duplicates)} (${pct(d.user_prompts.exact_rate)})`,
          `${int(d.user_prompts.near_duplicates)} (${pct(d.user_prompts.near_rate)})`,
        ],
        [
          "assistant replies",
          int(d.assistant_replies.texts),
          `${int(d.assistant_replies.exact_duplicates)} (${pct(d.assistant_replies.exact_rate)})`,
          `${int(d.assistant_replies.near_duplicates)} (${pct(d.assistant_replies.near_rate)})`,
        ],
      ],
    });
    const problems = [
      ...Object.entries(raw.invalid.by_code).map(([c, n]) => ["invalid", c, int(n)]),
      ...Object.entries(raw.rejects.by_reason).map(([c, n]) => ["rejected", c, int(n)]),
    ];
    if (problems.length > 0)
      out.push({ title: "Invalid and rejected records by reason", header: ["kind", "reason", "count"], rows: problems });
    // Workers finish out of order: show the kept examples in file and line order.
    const examples = [...raw.invalid.examples].sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line);
    if (examples.length > 0) {
      out.push({
        title: `Invalid records: ${examples.length} of ${int(raw.invalid.total)} (datagen validate lists them all)`,
        header: ["where", "id", "reason", "message"],
        rows: examples.map((e) => [`${e.file}:${e.line}`, e.id ?? "-", e.code, e.message]),
      });
    }
    out.push(...judgedSections(raw.judged));
  }
  const packed = report.packed;
  if (packed) {
    out.push({
      title: "Packed dataset",
      header: ["figure", "value"],
      rows: [
        ["sequence length", int(packed.seq_len)],
        ["samples", int(packed.samples)],
        ["documents", int(packed.documents)],
        ["real tokens", int(packed.tokens.real)],
        ["padding tokens", int(packed.tokens.padding)],
        ["fill rate", pct(packed.fill_rate, 2)],
        ["trained tokens", `${int(packed.tokens.trained)} (${pct(packed.trained_fraction)} of real)`],
        [`over-long documents (${packed.overlong.policy || "?"})`, int(packed.overlong.count)],
        ["documents mode (--documents)", [...new Set(packed.datasets.map((d) => d.documents_mode))].join(", ")],
        [
          "analysis tokens dropped (untrained)",
          int(packed.datasets.reduce((n, d) => n + (d.documents_stats?.analysis_tokens_dropped ?? 0), 0)),
        ],
        ["repeated prefix tokens", int(packed.datasets.reduce((n, d) => n + (d.documents_stats?.repeated_prefix_tokens ?? 0), 0))],
        ["rejects", int(packed.rejects.total)],
      ],
    });
    out.push({
      title: "Per sample",
      header: ["metric", "mean", "p50", "p90", "p99", "max"],
      rows: [
        distributionRow("fill rate", packed.fill_per_sample, pct),
        distributionRow("documents", packed.documents_per_sample),
        distributionRow("trained fraction", packed.trained_fraction_per_sample, pct),
      ],
    });
    out.push({
      title: `Packed tokens per persona (from ${packed.persona_source})`,
      header: ["persona", "documents", "tokens", "trained"],
      rows: Object.entries(packed.tokens_by_persona).map(([name, p]) => [name, int(p.documents), int(p.tokens), int(p.trained)]),
    });
  }
  out.push(...coverageSections(report.coverage));
  return out;
}

function distributionRow(name: string, d: Distribution, fmt: (n: number) => string = (n) => num(n)): string[] {
  return [name + (d.exact ? "" : " (sampled)"), fmt(d.mean), fmt(d.p50), fmt(d.p90), fmt(d.p99), fmt(d.max)];
}
