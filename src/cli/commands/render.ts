// `datagen render FILE`: show the exact harmony text, token ids and loss mask of records.
import { Option, type Command } from "commander";
import { CheckFailedError, formatLocation } from "../../core/errors.js";
import { escapeControls, escapeControlsKeepLayout } from "../../core/escape.js";
import type { Dialect, DocumentMode, DocumentRendering, MaskMode, RenderPiece } from "../../render/index.js";
import type { RenderedItem } from "../../render/file.js";
import type { formatPieces, formatTokenTable } from "../../render/view.js";
import type { FromShape } from "../../ingest/source.js";
import {
  allowTrailingCallOption,
  dialectOption,
  documentsOption,
  fromOption,
  maskOption,
  maxLineBytesOption,
  requireReadableFile,
} from "../options.js";

interface RenderFlags {
  id?: string;
  dialect: Dialect;
  mask: MaskMode;
  documents: DocumentMode;
  tokens?: boolean;
  json?: boolean;
  brackets?: boolean;
  maxLineBytes: number;
  from: FromShape;
  allowTrailingCall: boolean;
}

const HELP_AFTER = `
Output (stdout):
  default   the rendered harmony text of each record under a "### ID (FILE:LINE)" line; on a
            terminal special tokens are coloured, with --brackets they are written ⟦<|start|>⟧
            (content that merely contains "<|start|>" is ordinary text and is never bracketed).
            Control characters other than newline and tab are shown escaped (\\u001b); ids and
            messages are always one line.
  --tokens  a table per record: position, token id, mask (1 = supervised target), token text;
            special tokens by name, text tokens JSON-quoted; target rows green on a terminal.
  --json    one line per document: {"id": ..., "tokens": [ids...], "mask": [0|1...]}.
A record is one document, or one per assistant turn (ids ID#1, ID#2, ...) when --documents cuts it
(docs/RENDERING.md, "Documents"). Analysis a mode leaves untrained is counted on stderr.
Bad lines (invalid JSON, invalid records) go to stderr as "FILE:LINE ID REASON message"; the other
records are still rendered and the exit status is 1.

Mask modes:
  assistant  every assistant message from its <|start|> through <|end|>/<|call|>/<|return|> (TRL)
  last-turn  only assistant messages after the last user message (the reference fine-tune)
  final      final-channel content and its terminator only (Unsloth)

Documents:
  auto          the whole record, every analysis kept, unless analysis comes before its last
                turn: then one document per turn (default)
  turns         one document per assistant turn: the record up to that turn's end, earlier
                turns' analysis dropped, only that turn trained
  conversation  the whole record as the dialect renders it (harmony: auto_drop_analysis)

Examples:
  $ datagen render data/examples/conversations.jsonl --id lawful_good-000001
  $ datagen render data/examples/conversations.jsonl --id lawful_good-000001 --tokens --mask last-turn | less -R
  $ datagen render data/examples/conversations.jsonl --json | head -n 1 | jq '.tokens | length'
  $ datagen render data/examples/conversations.jsonl --dialect hf --brackets
`;

export function register(program: Command): void {
  program
    .command("render")
    .description("Show the exact harmony rendering of records: text, token ids and loss mask.")
    .argument("<file>", "input file (JSONL, JSON array, .gz, .zst, Parquet; - for stdin)")
    .option("--id <id>", "render only the record with this id")
    .addOption(dialectOption())
    .addOption(maskOption())
    .addOption(documentsOption())
    .addOption(new Option("--tokens", "print a position / id / mask / token table").conflicts("json"))
    .option("--json", "one JSON line per record: id, tokens, mask")
    .addOption(new Option("--brackets", "write special tokens as ⟦<|start|>⟧ in the text view").conflicts(["json", "tokens"]))
    .addOption(maxLineBytesOption())
    .addOption(fromOption())
    .addOption(allowTrailingCallOption())
    .addHelpText("after", HELP_AFTER)
    .showHelpAfterError("(run 'datagen render --help' for usage)")
    .action(async (file: string, flags: RenderFlags) => {
      requireReadableFile(file);
      await renderCommand(file, flags);
    });
}

/** The render stage and its printers, loaded when the command runs. */
interface Printers {
  formatPieces: typeof formatPieces;
  formatTokenTable: typeof formatTokenTable;
}

async function renderCommand(path: string, flags: RenderFlags): Promise<void> {
  const [{ checkRenderOptions }, { renderFile }, { displayName }, printers] = await Promise.all([
    import("../../render/index.js"),
    import("../../render/file.js"),
    import("../../ingest/source.js"),
    import("../../render/view.js"),
  ]);
  const file = displayName(path); // "<stdin>" for "-"
  const renderOptions = checkRenderOptions({ dialect: flags.dialect, mask: flags.mask, documents: flags.documents });
  const color = process.stdout.isTTY === true;
  let bad = 0;
  const dropped = { tokens: 0, records: 0 };
  for await (const item of renderFile(path, {
    ...renderOptions,
    id: flags.id,
    maxLineBytes: flags.maxLineBytes,
    from: flags.from,
    allowTrailingCall: flags.allowTrailingCall,
  })) {
    if (!item.ok) {
      bad++;
      process.stderr.write(
        `${escapeControls(formatLocation({ file, line: item.line }))} ${item.id == null ? "-" : escapeControls(item.id)} ` +
          `${item.code} ${escapeControls(item.message)}\n`,
      );
      continue;
    }
    if (item.rendered.analysisTokensDropped > 0) {
      dropped.tokens += item.rendered.analysisTokensDropped;
      dropped.records++;
    }
    for (const doc of item.rendered.documents) await write(formatDocument(file, item, doc, flags, color, printers));
  }
  // Never silently: the analysis no document trains (harmony's conversation rendering drops turn 1's).
  if (dropped.tokens > 0) {
    const n = dropped.records;
    const records = `${n} record${n === 1 ? "" : "s"}`;
    process.stderr.write(
      `render: --documents ${flags.documents} leaves ${dropped.tokens} analysis tokens of ${records} untrained ` +
        `(docs/RENDERING.md, "Documents")\n`,
    );
  }
  if (bad > 0) throw new CheckFailedError(`${bad} problem${bad === 1 ? "" : "s"} in ${file} (listed above)`);
}

function formatDocument(
  file: string,
  item: RenderedItem,
  rendered: DocumentRendering,
  flags: RenderFlags,
  color: boolean,
  { formatPieces, formatTokenTable }: Printers,
): string {
  if (flags.json) return `${JSON.stringify({ id: rendered.id, tokens: rendered.tokens, mask: Array.from(rendered.mask) })}\n`;
  const title =
    `### ${escapeControls(rendered.id)} (${escapeControls(file)}:${item.line}) ${rendered.tokens.length} tokens, ` +
    `${countOnes(rendered.mask)} targets [${flags.dialect}, mask ${flags.mask}, documents ${flags.documents}]`;
  if (flags.tokens) return `${title}\n${formatTokenTable(rendered, { color })}\n\n`;
  // The record's text keeps its newlines and tabs; other control characters (an ESC that would drive
  // the terminal, a CR that would overwrite the line) are shown escaped. --json has the exact tokens.
  const text = flags.brackets
    ? escapeControlsKeepLayout(formatPieces(rendered.pieces))
    : color
      ? colourSpecials(rendered.pieces)
      : escapeControlsKeepLayout(rendered.pieces.map((p) => p.text).join(""));
  return `${title}\n${text}\n\n`;
}

const countOnes = (mask: Uint8Array): number => mask.reduce((sum, bit) => sum + bit, 0);

const colourSpecials = (pieces: RenderPiece[]): string =>
  pieces.map((p) => (p.kind === "special" ? `\x1b[36m${p.text}\x1b[0m` : escapeControlsKeepLayout(p.text))).join("");

/** Write to stdout, waiting when the pipe is full (bounded memory on big files). */
function write(text: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const ok = process.stdout.write(text, (err) => (err ? reject(err) : undefined));
    if (ok) resolve();
    else process.stdout.once("drain", resolve);
  });
}
