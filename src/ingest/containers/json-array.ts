// A JSON file holding one top-level array, split into its elements without parsing them: only
// strings, brackets and commas at the top level are tracked, so any size and any nesting depth
// streams in bounded memory. Each element's bytes then go through the project's strict parser
// like a JSONL line; its line number is the line where the element starts.
import { CappedBytes, DEFAULT_MAX_LINE_BYTES } from "../../core/lines.js";
import type { ItemError, SourceLine } from "./item.js";

type ArrayElement = SourceLine;

const enum State {
  BeforeArray,
  BeforeElement,
  InElement,
  AfterArray,
  Done,
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const NEWLINE = 0x0a;

const isSpace = (b: number): boolean => b === 0x20 || b === 0x0a || b === 0x0d || b === 0x09;
const invalid = (message: string): ItemError => ({ code: "invalid_json", message });

export class JsonArraySplitter {
  private state = State.BeforeArray;
  private lineNo = 1;
  private depth = 0;
  private inString = false;
  private escaped = false;
  private startLine = 0;
  private readonly element: CappedBytes;
  private elements = 0;
  private firstChunk = true;

  constructor(readonly maxLineBytes = DEFAULT_MAX_LINE_BYTES) {
    this.element = new CappedBytes(maxLineBytes);
  }

  *push(chunk: Buffer): Generator<ArrayElement> {
    let k = 0;
    if (this.firstChunk) {
      this.firstChunk = false;
      if (chunk[0] === 0xef && chunk[1] === 0xbb && chunk[2] === 0xbf) k = 3; // UTF-8 BOM
    }
    let elementStart = this.state === State.InElement ? k : -1;
    for (; k < chunk.length; k++) {
      if (this.inString) {
        k = this.skipString(chunk, k);
        if (k === chunk.length) break;
        continue; // k is the closing quote
      }
      const b = chunk[k];
      if (this.state === State.InElement) {
        if (b === QUOTE) this.inString = true;
        else if (b === 0x7b || b === 0x5b) this.depth++;
        else if ((b === 0x7d || b === 0x5d) && this.depth > 0) this.depth--;
        else if (this.depth === 0 && (b === 0x2c || b === 0x5d)) {
          this.collect(chunk, elementStart, k);
          elementStart = -1;
          yield this.takeElement();
          this.state = b === 0x2c ? State.BeforeElement : State.AfterArray;
        }
      } else if (!isSpace(b)) {
        const element = this.structural(b);
        if (element) yield element;
        if ((this.state as State) === State.InElement) elementStart = k;
      }
      if (b === NEWLINE) this.lineNo++;
    }
    if (this.state === State.InElement) this.collect(chunk, elementStart, chunk.length);
  }

  /**
   * Inside a string (most of a record's bytes): a tight scan to the closing quote. Returns its index
   * (the string is closed) or chunk.length (it goes on in the next chunk).
   */
  private skipString(chunk: Buffer, from: number): number {
    let escaped = this.escaped;
    for (let j = from; j < chunk.length; j++) {
      const c = chunk[j];
      if (escaped) escaped = false;
      else if (c === BACKSLASH) escaped = true;
      else if (c === QUOTE) {
        this.escaped = false;
        this.inString = false;
        return j;
      } else if (c === NEWLINE) this.lineNo++; // not JSON, but the lines after it must still count
    }
    this.escaped = escaped;
    return chunk.length;
  }

  /** What the end of the input leaves: an error when the array is not closed. */
  end(): ArrayElement | undefined {
    if (this.state === State.InElement) {
      this.element.clear();
      return { line: this.startLine, error: invalid("the input ends inside the top-level JSON array (truncated file?)") };
    }
    if (this.state === State.BeforeElement)
      return { line: this.lineNo, error: invalid("the input ends before the top-level JSON array's closing ]") };
    return undefined;
  }

  /** A non-space byte outside an element. */
  private structural(b: number): ArrayElement | undefined {
    switch (this.state) {
      case State.BeforeArray:
        if (b === 0x5b) this.state = State.BeforeElement;
        else return this.stop("the input does not start with [ (detected as a JSON array)");
        return undefined;
      case State.BeforeElement:
        if (b === 0x5d) {
          this.state = State.AfterArray;
          return this.elements === 0
            ? undefined
            : { line: this.lineNo, error: invalid("a comma before the top-level JSON array's closing ]") };
        }
        if (b === 0x2c) return { line: this.lineNo, error: invalid("empty element in the top-level JSON array (two commas)") };
        this.startElement(b);
        return undefined;
      case State.AfterArray:
        return this.stop("data after the end of the top-level JSON array");
      default:
        return undefined;
    }
  }

  private stop(message: string): ArrayElement {
    this.state = State.Done;
    return { line: this.lineNo, error: invalid(message) };
  }

  private startElement(b: number): void {
    this.state = State.InElement;
    this.startLine = this.lineNo;
    this.elements++;
    this.depth = b === 0x7b || b === 0x5b ? 1 : 0;
    this.inString = b === QUOTE;
    this.escaped = false;
  }

  private collect(chunk: Buffer, from: number, to: number): void {
    if (from >= 0) this.element.add(chunk, from, to);
  }

  private takeElement(): ArrayElement {
    const line = this.startLine;
    const bytes = this.element.take();
    return bytes === "tooLong" ? { line, tooLong: true } : { line, bytes };
  }
}
