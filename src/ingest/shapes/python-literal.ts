// Hermes data often writes calls and tool lists as Python literals ({'name': 'f', 'arguments':
// {'x': True}}: str() of a dict, which the Hermes tooling reads with ast.literal_eval). This
// rewrites such a literal as JSON text, token by token, for the strict JSON parser to read: strings
// are decoded as Python decodes them and re-quoted, True/False/None become true/false/null, and
// punctuation and JSON-shaped numbers are copied. Anything else (tuples, sets, bytes, f-strings,
// numbers JSON cannot spell) is refused with the reason, so no value is ever guessed.

export type Rewrite = { json: string } | { error: string };

const NUMBER = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/;
const WORDS: Record<string, string> = { True: "true", False: "false", None: "null" };

export function pythonLiteralToJson(text: string): Rewrite {
  let out = "";
  let i = 0;
  while (i < text.length) {
    const ch = text[i];
    if (/\s/.test(ch) || "{}[]:,".includes(ch)) {
      out += ch;
      i++;
    } else if (ch === "'" || ch === '"') {
      const string = readString(text, i);
      if ("error" in string) return string;
      out += JSON.stringify(string.value);
      i = string.end;
    } else if (/[A-Za-z_]/.test(ch)) {
      const word = /^[A-Za-z_]\w*/.exec(text.slice(i))![0];
      if (!Object.hasOwn(WORDS, word)) return { error: `"${word}" at offset ${i} is not a literal (only True, False, None)` };
      out += WORDS[word];
      i += word.length;
    } else {
      const number = NUMBER.exec(text.slice(i));
      const next = number ? text[i + number[0].length] : undefined;
      if (!number || (next !== undefined && /[\w.]/.test(next)))
        return { error: `unexpected ${JSON.stringify(text.slice(i, i + 12))} at offset ${i}` };
      out += number[0];
      i += number[0].length;
    }
  }
  return { json: out };
}

const SIMPLE_ESCAPES: Record<string, string> = {
  "\\": "\\",
  "'": "'",
  '"': '"',
  n: "\n",
  t: "\t",
  r: "\r",
  b: "\b",
  f: "\f",
  v: "\v",
  a: "\x07",
};

/** A Python string literal (no prefix, no triple quotes) starting at `start`: its value and the offset after it. */
function readString(text: string, start: number): { value: string; end: number } | { error: string } {
  const quote = text[start];
  if (text.startsWith(quote.repeat(3), start)) return { error: `a triple-quoted string at offset ${start}` };
  let value = "";
  let i = start + 1;
  while (i < text.length) {
    const ch = text[i];
    if (ch === quote) return { value, end: i + 1 };
    if (ch === "\n") break;
    if (ch !== "\\") {
      value += ch;
      i++;
      continue;
    }
    const escaped = readEscape(text, i);
    if ("error" in escaped) return escaped;
    value += escaped.value;
    i = escaped.end;
  }
  return { error: `unterminated string at offset ${start}` };
}

function readEscape(text: string, at: number): { value: string; end: number } | { error: string } {
  const c = text[at + 1];
  if (c === undefined) return { error: `a backslash at the end (offset ${at})` };
  if (c === "\n") return { value: "", end: at + 2 };
  if (Object.hasOwn(SIMPLE_ESCAPES, c)) return { value: SIMPLE_ESCAPES[c], end: at + 2 };
  const hex = { x: 2, u: 4, U: 8 }[c as "x" | "u" | "U"];
  if (hex !== undefined) {
    const digits = text.slice(at + 2, at + 2 + hex);
    if (!new RegExp(`^[0-9a-fA-F]{${hex}}$`).test(digits)) return { error: `a bad \\${c} escape at offset ${at}` };
    const code = parseInt(digits, 16);
    if (code > 0x10ffff) return { error: `\\${c}${digits} at offset ${at} is beyond Unicode` };
    return { value: String.fromCodePoint(code), end: at + 2 + hex };
  }
  const octal = /^[0-7]{1,3}/.exec(text.slice(at + 1));
  if (octal) return { value: String.fromCodePoint(parseInt(octal[0], 8)), end: at + 1 + octal[0].length };
  if (c === "N") return { error: `a \\N{…} escape at offset ${at}` };
  // Python keeps an unknown escape as written: the backslash and the character.
  return { value: `\\${c}`, end: at + 2 };
}
