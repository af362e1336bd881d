// `datagen export --to harmony-text | hf-messages`: JSONL conversation records → text a trainer
// tokenizes itself. Text cannot tell a special token from content that spells one, so a record
// whose content spells any o200k_harmony special token is rejected (special_token_text), and every
// exported line is re-tokenized with specials allowed and must give exactly the rendered ids.
import { join } from "node:path";
import { NothingUsableError } from "../core/errors.js";
import type { ConversationRecord } from "../core/record.js";
import type { ReasonCode } from "../core/reasons.js";
import { renderDocuments, type Dialect, type DocumentMode } from "../render/index.js";
import { getTokenizer, harmonySpecialTokens } from "../tokenize/o200k_harmony.js";
import { validateRecord } from "../validate/index.js";
import { readSource } from "../ingest/source.js";
import { hfMessagesRow } from "./messages.js";
import { AtomicFile } from "../core/output.js";
import { CARD_FILE, REJECTS_FILE, TEXT_FILE, openExportDir, removeExportFiles, writeOutputFile } from "./output.js";
import { recordsSpec, type TextFormat } from "./formats.js";
import type { ExportSummary } from "./types.js";
import { ParquetParts, type CompressionName } from "./parquet.js";
import { textCard } from "./card.js";

export type { TextFormat } from "./formats.js";

export interface TextExportOptions {
  inputs: string[];
  to: TextFormat;
  out: string;
  force: boolean;
  dialect: Dialect;
  /** --documents for harmony-text: one line per document (default auto); hf-messages rows are records. */
  documents?: DocumentMode;
  compression: CompressionName;
  fileTokens: number;
  rowGroupRows: number;
  maxLineBytes?: number;
  onProgress?: (p: { records: number; rejects: number }) => void;
}

export interface Reject {
  file: string;
  line: number;
  id?: string;
  code: ReasonCode;
  message: string;
  issues?: unknown[];
}

const SPECIALS = harmonySpecialTokens();
const SPECIAL_SPELLING = /<\|[^<>|]{1,40}\|>/g;

/** The first o200k_harmony special token spelled inside the text, if any. */
export function spelledSpecial(text: string): string | undefined {
  for (const m of text.matchAll(SPECIAL_SPELLING)) if (SPECIALS.has(m[0])) return m[0];
  return undefined;
}

/** Tokenizes like a consumer that allows specials: special names become their ids, the rest is text. */
export function tokenizeAllowingSpecials(text: string): number[] {
  const tokenizer = getTokenizer();
  const out: number[] = [];
  let at = 0;
  for (const m of text.matchAll(SPECIAL_SPELLING)) {
    const id = SPECIALS.get(m[0]);
    if (id === undefined) continue;
    if (m.index > at) out.push(...tokenizer.encodeText(text.slice(at, m.index)));
    out.push(id);
    at = m.index + m[0].length;
  }
  if (at < text.length) out.push(...tokenizer.encodeText(text.slice(at)));
  return out;
}

type Checked =
  | { ok: true; record: ConversationRecord; texts: string[]; tokens: number }
  | { ok: false; reject: Omit<Reject, "file" | "line"> };

/** Validates, renders and checks one record (already through the input layer's shape adapter) for a text export: one text per document. */
export function checkTextRecord(value: unknown, dialect: Dialect, documents: DocumentMode = "auto"): Checked {
  const checked = validateRecord(value);
  if (!checked.ok) {
    const first = checked.issues[0];
    return { ok: false, reject: { id: checked.id, code: first.code, message: first.message, issues: checked.issues } };
  }
  const record = checked.record;
  try {
    const texts: string[] = [];
    let tokens = 0;
    for (const rendered of renderDocuments(record, { dialect, mask: "assistant", documents }).documents) {
      for (const piece of rendered.pieces) {
        const special = piece.kind === "text" ? spelledSpecial(piece.text) : undefined;
        if (special)
          return {
            ok: false,
            reject: {
              id: record.id,
              code: "special_token_text",
              message: `content spells the special token ${special}; a text export would turn it into that token`,
            },
          };
      }
      const text = rendered.pieces.map((p) => p.text).join("");
      const back = tokenizeAllowingSpecials(text);
      const same = back.length === rendered.tokens.length && back.every((id, i) => id === rendered.tokens[i]);
      if (!same)
        return {
          ok: false,
          reject: {
            id: rendered.id,
            code: "text_roundtrip_mismatch",
            message: `the text re-tokenizes to ${back.length} ids that differ from the ${rendered.tokens.length} rendered ones`,
          },
        };
      texts.push(text);
      tokens += rendered.tokens.length;
    }
    return { ok: true, record, texts, tokens };
  } catch (e) {
    return { ok: false, reject: { id: record.id, code: "render_failed", message: (e as Error).message } };
  }
}

export async function exportText(o: TextExportOptions): Promise<ExportSummary> {
  const started = Date.now();
  const out = openExportDir(o.out, o.force, o.inputs);
  const rejects = new AtomicFile(join(out.dir, REJECTS_FILE));
  const spec = recordsSpec(o.to);
  const text = spec.writes === "text" ? new AtomicFile(join(out.dir, TEXT_FILE)) : undefined;
  const parts =
    spec.writes === "messages"
      ? new ParquetParts({
          dir: out.dir,
          prefix: "part-",
          suffix: ".parquet",
          columns: spec.columns!,
          fileTokens: o.fileTokens,
          rowGroupRows: o.rowGroupRows,
          compression: o.compression,
          workers: 0,
          metadata: { "datagen.export": o.to },
        })
      : undefined;
  const s = { records: 0, rows: 0, documents: 0, tokens: 0, rejects: 0 };
  // Message rows are whole records (the consumer applies its own template): checked as one document.
  const documents: DocumentMode = spec.writes === "messages" ? "conversation" : (o.documents ?? "auto");
  let firstReject: string | undefined;
  try {
    for (const file of o.inputs) {
      // The shared input layer: JSONL, JSON arrays, gzip/zstd, Parquet; any supported record shape.
      for await (const item of readSource(file, { maxLineBytes: o.maxLineBytes })) {
        s.records++;
        const result: Checked =
          "error" in item
            ? { ok: false, reject: { id: item.id, code: item.error.code, message: item.error.message } }
            : checkTextRecord(item.value, o.dialect, documents);
        if (!result.ok) {
          s.rejects++;
          firstReject ??= `${item.file}:${item.line} ${result.reject.code}`;
          rejects.write(JSON.stringify({ file: item.file, line: item.line, ...result.reject }) + "\n");
        } else {
          s.tokens += result.tokens;
          if (text) {
            for (const t of result.texts) text.write(JSON.stringify({ text: t }) + "\n");
            s.rows += result.texts.length;
            s.documents += result.texts.length;
          }
          if (parts) {
            s.rows++;
            s.documents++;
            const row = hfMessagesRow(result.record);
            await parts.add(row, row.messages.length + row.tools.length);
          }
        }
        o.onProgress?.({ records: s.records, rejects: s.rejects });
      }
    }
    if (s.rows === 0) {
      const inputs = o.inputs.join(", ");
      throw new NothingUsableError(
        `nothing exported: ${s.records} record${s.records === 1 ? "" : "s"} read from ${inputs}, ` +
          `none usable${firstReject ? ` (${s.rejects} rejected; first: ${firstReject})` : ""}`,
      );
    }
    text?.commit();
    rejects.commit();
    const files = parts ? await parts.finish() : [{ path: TEXT_FILE, rows: s.rows, bytes: text!.bytes }];
    const summary: ExportSummary = {
      format: o.to,
      source: o.inputs.join(", "),
      out: out.final,
      files,
      rows: s.rows,
      documents: s.documents,
      tokens: s.tokens,
      rejects: s.rejects,
      verified: false,
      seconds: (Date.now() - started) / 1000,
    };
    writeOutputFile(join(out.dir, CARD_FILE), textCard(summary, o.dialect, documents));
    out.commit();
    return summary;
  } catch (e) {
    text?.discard();
    rejects.discard();
    await parts?.close();
    removeExportFiles(out.dir);
    out.abort();
    throw e;
  }
}
