// A safe arithmetic evaluator: a recursive-descent parser over a fixed grammar, never `eval`.
//   expr   := term (("+" | "-") term)*
//   term   := unary (("*" | "/" | "%") unary)*
//   unary  := ("-" | "+") unary | power
//   power  := atom ("^" unary)?          (right-associative; -2^2 = -4 as in maths)
//   atom   := number | constant | func "(" expr ("," expr)* ")" | "(" expr ")"

const FUNCTIONS: Record<string, { arity: [number, number]; apply: (args: number[]) => number }> = {
  sqrt: { arity: [1, 1], apply: ([x]) => Math.sqrt(x) },
  abs: { arity: [1, 1], apply: ([x]) => Math.abs(x) },
  floor: { arity: [1, 1], apply: ([x]) => Math.floor(x) },
  ceil: { arity: [1, 1], apply: ([x]) => Math.ceil(x) },
  round: { arity: [1, 2], apply: ([x, digits = 0]) => roundTo(x, digits) },
  ln: { arity: [1, 1], apply: ([x]) => Math.log(x) },
  log10: { arity: [1, 1], apply: ([x]) => Math.log10(x) },
  sin: { arity: [1, 1], apply: ([x]) => Math.sin(x) },
  cos: { arity: [1, 1], apply: ([x]) => Math.cos(x) },
  tan: { arity: [1, 1], apply: ([x]) => Math.tan(x) },
  min: { arity: [1, 16], apply: (xs) => Math.min(...xs) },
  max: { arity: [1, 16], apply: (xs) => Math.max(...xs) },
};

const CONSTANTS: Record<string, number> = { pi: Math.PI, e: Math.E };

class ExpressionError extends Error {}

export function roundTo(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

/** Evaluates `source`; throws ExpressionError on syntax errors, unknown names or non-finite results. */
export function evaluateExpression(source: string): number {
  const parser = new Parser(tokenize(source));
  const value = parser.parseExpression();
  parser.expectEnd();
  if (!Number.isFinite(value)) throw new ExpressionError("result is not a finite number (division by zero?)");
  // Trim binary floating-point noise such as 0.1 + 0.2 = 0.30000000000000004.
  return Number(value.toPrecision(15));
}

type Token = { kind: "num"; value: number } | { kind: "name"; value: string } | { kind: "op"; value: string };

function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  const re = /\s*(?:(\d+(?:\.\d*)?(?:[eE][-+]?\d+)?|\.\d+(?:[eE][-+]?\d+)?)|([A-Za-z_][A-Za-z0-9_]*)|(\*\*|[-+*/%^(),×÷]))/y;
  let pos = 0;
  while (pos < source.length) {
    if (/^\s*$/.test(source.slice(pos))) break;
    re.lastIndex = pos;
    const m = re.exec(source);
    if (!m) throw new ExpressionError(`unexpected character "${source.slice(pos).trimStart()[0]}" at position ${pos + 1}`);
    if (m[1] !== undefined) tokens.push({ kind: "num", value: Number(m[1]) });
    else if (m[2] !== undefined) tokens.push({ kind: "name", value: m[2].toLowerCase() });
    else tokens.push({ kind: "op", value: normalizeOperator(m[3]) });
    pos = re.lastIndex;
  }
  return tokens;
}

function normalizeOperator(op: string): string {
  return op === "**" ? "^" : op === "×" ? "*" : op === "÷" ? "/" : op;
}

class Parser {
  private pos = 0;
  constructor(private readonly tokens: Token[]) {}

  parseExpression(): number {
    let value = this.parseTerm();
    for (let op = this.peekOp(); op === "+" || op === "-"; op = this.peekOp()) {
      this.pos++;
      const rhs = this.parseTerm();
      value = op === "+" ? value + rhs : value - rhs;
    }
    return value;
  }

  private parseTerm(): number {
    let value = this.parseUnary();
    for (let op = this.peekOp(); op === "*" || op === "/" || op === "%"; op = this.peekOp()) {
      this.pos++;
      const rhs = this.parseUnary();
      if ((op === "/" || op === "%") && rhs === 0) throw new ExpressionError("division by zero");
      value = op === "*" ? value * rhs : op === "/" ? value / rhs : value % rhs;
    }
    return value;
  }

  private parseUnary(): number {
    const op = this.peekOp();
    if (op === "-" || op === "+") {
      this.pos++;
      const value = this.parseUnary();
      return op === "-" ? -value : value;
    }
    return this.parsePower();
  }

  private parsePower(): number {
    const base = this.parseAtom();
    if (this.peekOp() !== "^") return base;
    this.pos++;
    return base ** this.parseUnary();
  }

  private parseAtom(): number {
    const token = this.tokens[this.pos++];
    if (!token) throw new ExpressionError("unexpected end of expression");
    if (token.kind === "num") return token.value;
    if (token.kind === "op" && token.value === "(") {
      const value = this.parseExpression();
      this.expectOp(")");
      return value;
    }
    if (token.kind === "name") return this.parseName(token.value);
    throw new ExpressionError(`unexpected "${token.value}"`);
  }

  private parseName(name: string): number {
    if (name in CONSTANTS && this.peekOp() !== "(") return CONSTANTS[name];
    const fn = FUNCTIONS[name];
    if (!fn)
      throw new ExpressionError(`unknown name "${name}" (known: ${[...Object.keys(FUNCTIONS), ...Object.keys(CONSTANTS)].join(", ")})`);
    this.expectOp("(");
    const args = [this.parseExpression()];
    while (this.peekOp() === ",") {
      this.pos++;
      args.push(this.parseExpression());
    }
    this.expectOp(")");
    if (args.length < fn.arity[0] || args.length > fn.arity[1])
      throw new ExpressionError(`${name}() takes ${fn.arity.join(" to ")} arguments, got ${args.length}`);
    return fn.apply(args);
  }

  private peekOp(): string | undefined {
    const t = this.tokens[this.pos];
    return t?.kind === "op" ? t.value : undefined;
  }

  private expectOp(op: string): void {
    if (this.peekOp() !== op) throw new ExpressionError(`expected "${op}"`);
    this.pos++;
  }

  expectEnd(): void {
    const t = this.tokens[this.pos];
    if (t) throw new ExpressionError(`unexpected "${t.value}" after the end of the expression`);
  }
}
