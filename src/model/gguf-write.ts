// The GGUF writer: metadata in insertion order, tensors streamed one at a time, the file written atomically.
import { open, rename, unlink } from "node:fs/promises";
import {
  GGUF_MAGIC,
  GGUF_VERSION,
  GGUF_TYPE,
  ITEM_SIZE,
  padTo,
  ggmlTypeName,
  tensorByteLength,
  type GgufItemType,
  type GgufValue,
  type GgufMetadata,
} from "./gguf-format.js";
import { alignmentOf } from "./gguf-read.js";
import { bytesOf } from "./half-float.js";

export interface GgufTensorInput {
  name: string;
  /** ggml `ne`: shape[0] is the contiguous dimension. */
  shape: readonly number[];
  /** ggml type id (GGML_TYPE). */
  type: number;
  /** The raw data, or a function producing it when its turn comes (so tensors stream one at a time). */
  data: Uint8Array | (() => Uint8Array | Promise<Uint8Array>);
}

export interface GgufWriteInput {
  metadata: GgufMetadata | Iterable<readonly [string, GgufValue]>;
  tensors: readonly GgufTensorInput[];
}

/** Growable little-endian byte buffer for the header. */
class ByteSink {
  buf = Buffer.alloc(1 << 16);
  length = 0;

  private reserve(n: number): number {
    if (this.length + n > this.buf.length) {
      const next = Buffer.alloc(Math.max(this.buf.length * 2, this.length + n));
      this.buf.copy(next, 0, 0, this.length);
      this.buf = next;
    }
    const at = this.length;
    this.length += n;
    return at;
  }
  // Reserve first: `this.buf.write(..., this.reserve(n))` would evaluate the old buffer before growing it.
  u8(v: number): void {
    const at = this.reserve(1);
    this.buf.writeUInt8(v, at);
  }
  u32(v: number): void {
    const at = this.reserve(4);
    this.buf.writeUInt32LE(v, at);
  }
  u64(v: number | bigint): void {
    const at = this.reserve(8);
    this.buf.writeBigUInt64LE(BigInt(v), at);
  }
  string(s: string): void {
    const n = Buffer.byteLength(s, "utf8");
    this.u64(n);
    const at = this.reserve(n);
    this.buf.write(s, at, n, "utf8");
  }
  bytes(b: Uint8Array): void {
    const at = this.reserve(b.length);
    this.buf.set(b, at);
  }
  zeros(n: number): void {
    const at = this.reserve(n);
    this.buf.fill(0, at, this.length);
  }
  view(): Buffer {
    return this.buf.subarray(0, this.length);
  }
}

function writeItem(sink: ByteSink, type: GgufItemType, value: unknown, key: string): void {
  if (type === "string") return sink.string(value as string);
  if (type === "bool") return sink.u8(value ? 1 : 0);
  const size = ITEM_SIZE[type];
  if (size === undefined) throw new Error(`GGUF writer: "${key}" has unknown type ${String(type)}`);
  sink.zeros(size);
  const at = sink.length - size; // after zeros(): sink.buf is the grown buffer
  const buf = sink.buf;
  switch (type) {
    case "uint8":
      buf.writeUInt8(value as number, at);
      return;
    case "int8":
      buf.writeInt8(value as number, at);
      return;
    case "uint16":
      buf.writeUInt16LE(value as number, at);
      return;
    case "int16":
      buf.writeInt16LE(value as number, at);
      return;
    case "uint32":
      buf.writeUInt32LE(value as number, at);
      return;
    case "int32":
      buf.writeInt32LE(value as number, at);
      return;
    case "float32":
      buf.writeFloatLE(value as number, at);
      return;
    case "float64":
      buf.writeDoubleLE(value as number, at);
      return;
    case "uint64":
      buf.writeBigUInt64LE(value as bigint, at);
      return;
    case "int64":
      buf.writeBigInt64LE(value as bigint, at);
      return;
  }
}

function writeValue(sink: ByteSink, key: string, value: GgufValue): void {
  sink.u32(GGUF_TYPE[value.type]);
  if (value.type !== "array") return writeItem(sink, value.type, value.value, key);
  sink.u32(GGUF_TYPE[value.itemType]);
  sink.u64(value.value.length);
  const items = value.value;
  if (ArrayBuffer.isView(items) && value.itemType !== "bool") {
    sink.bytes(bytesOf(items)); // typed array of the matching item type: copy as is (little-endian host)
    return;
  }
  for (let i = 0; i < items.length; i++) writeItem(sink, value.itemType, items[i], key);
}

function checkTypedArray(key: string, value: GgufValue): void {
  if (value.type !== "array" || !ArrayBuffer.isView(value.value) || value.itemType === "bool") return;
  const expected = ITEM_SIZE[value.itemType as Exclude<GgufItemType, "string">];
  const actual = (value.value as unknown as { BYTES_PER_ELEMENT: number }).BYTES_PER_ELEMENT;
  if (expected !== actual) throw new Error(`GGUF writer: "${key}" is ${value.itemType} but given ${actual}-byte items`);
}

/** Header bytes (magic to the end of the tensor infos, unpadded) and the data layout. */
function buildHeader(metadata: GgufMetadata, tensors: readonly GgufTensorInput[], alignment: number) {
  const sink = new ByteSink();
  sink.bytes(Buffer.from(GGUF_MAGIC, "latin1"));
  sink.u32(GGUF_VERSION);
  sink.u64(tensors.length);
  sink.u64(metadata.size);
  for (const [key, value] of metadata) {
    checkTypedArray(key, value);
    sink.string(key);
    writeValue(sink, key, value);
  }
  const sizes: number[] = [];
  let offset = 0;
  for (const t of tensors) {
    const size = tensorByteLength(t.type, t.shape);
    if (size === undefined) throw new Error(`GGUF writer: cannot size tensor "${t.name}" (${ggmlTypeName(t.type)} ${t.shape.join("x")})`);
    sink.string(t.name);
    sink.u32(t.shape.length);
    for (const d of t.shape) sink.u64(d);
    sink.u32(t.type);
    sink.u64(offset);
    sizes.push(size);
    offset += padTo(size, alignment);
  }
  sink.zeros(padTo(sink.length, alignment) - sink.length);
  return { header: sink.view(), sizes };
}

/**
 * Write a GGUF v3 file atomically: stream into a temporary file beside `path`, fsync, rename.
 * Tensor data functions are called in order, one at a time.
 */
export async function writeGguf(path: string, input: GgufWriteInput): Promise<{ bytes: number }> {
  const metadata = input.metadata instanceof Map ? input.metadata : new Map(input.metadata);
  const alignment = alignmentOf(metadata, path);
  const { header, sizes } = buildHeader(metadata, input.tensors, alignment);
  const tmp = `${path}.tmp-${process.pid}-${Math.random().toString(36).slice(2)}`;
  const fh = await open(tmp, "w");
  let bytes = 0;
  try {
    await fh.write(header);
    bytes += header.length;
    const padding = Buffer.alloc(alignment);
    for (const [i, t] of input.tensors.entries()) {
      const data = typeof t.data === "function" ? await t.data() : t.data;
      if (data.length !== sizes[i]) {
        throw new Error(`GGUF writer: tensor "${t.name}" has ${data.length} bytes, its shape and type need ${sizes[i]}`);
      }
      await fh.write(data);
      const pad = padTo(data.length, alignment) - data.length;
      if (pad) await fh.write(padding, 0, pad);
      bytes += data.length + pad;
    }
    await fh.sync();
    await fh.close();
    await rename(tmp, path);
  } catch (err) {
    await fh.close().catch(() => undefined);
    await unlink(tmp).catch(() => undefined);
    throw err;
  }
  return { bytes };
}
