// GGUF v3 reader and writer (the file format of ggml / llama.cpp; spec: ggml docs/gguf.md).
//
// Layout, all little-endian:
//   "GGUF" magic, u32 version (3), u64 tensor count, u64 metadata count,
//   metadata: (string key, u32 value type, value)*,
//   tensor infos: (string name, u32 n_dims, u64 ne[n_dims], u32 ggml type, u64 offset)*,
//   zero padding to the alignment, tensor data (each tensor zero-padded to the alignment).
// A string is a u64 byte length and UTF-8 bytes; an array is a u32 item type, a u64 count and items.
//
// llama.cpp is strict where the spec is loose, and this module follows llama.cpp: tensor offsets are
// contiguous in order (each tensor padded to the alignment), `general.alignment` must be a UINT32
// power of two (default 32), and arrays of arrays are refused. The writer keeps metadata in insertion
// order and writes n_dims exactly as given, so read → write reproduces a file byte for byte.
import { closeSync, openSync, readSync, fstatSync } from "node:fs";
import { open, rename, unlink } from "node:fs/promises";
import { endianness } from "node:os";
import { DataError } from "../core/errors.js";

export const GGUF_MAGIC = "GGUF";
export const GGUF_VERSION = 3;
export const GGUF_DEFAULT_ALIGNMENT = 32;

if (endianness() !== "LE") throw new Error("datagen's GGUF module assumes a little-endian host");

// ---------------------------------------------------------------------------------------------
// Metadata values

/** GGUF metadata value type ids (gguf_type in ggml). */
export const GGUF_TYPE = {
  uint8: 0,
  int8: 1,
  uint16: 2,
  int16: 3,
  uint32: 4,
  int32: 5,
  float32: 6,
  bool: 7,
  string: 8,
  array: 9,
  uint64: 10,
  int64: 11,
  float64: 12,
} as const;

export type GgufNumberType = "uint8" | "int8" | "uint16" | "int16" | "uint32" | "int32" | "float32" | "float64";
export type GgufBigIntType = "uint64" | "int64";
export type GgufItemType = GgufNumberType | GgufBigIntType | "bool" | "string";

export type GgufScalar =
  | { type: GgufNumberType; value: number }
  | { type: GgufBigIntType; value: bigint }
  | { type: "bool"; value: boolean }
  | { type: "string"; value: string };

export type GgufArray =
  | { type: "array"; itemType: GgufNumberType; value: ArrayLike<number> }
  | { type: "array"; itemType: GgufBigIntType; value: ArrayLike<bigint> }
  | { type: "array"; itemType: "bool"; value: ArrayLike<boolean> }
  | { type: "array"; itemType: "string"; value: readonly string[] };

export type GgufValue = GgufScalar | GgufArray;

/** Metadata in file order (a Map keeps insertion order). */
export type GgufMetadata = Map<string, GgufValue>;

/** Typed value constructors: llama.cpp checks types exactly (counts UINT32, epsilons FLOAT32...). */
export const gv = {
  u8: (value: number): GgufValue => ({ type: "uint8", value }),
  i8: (value: number): GgufValue => ({ type: "int8", value }),
  u16: (value: number): GgufValue => ({ type: "uint16", value }),
  i16: (value: number): GgufValue => ({ type: "int16", value }),
  u32: (value: number): GgufValue => ({ type: "uint32", value }),
  i32: (value: number): GgufValue => ({ type: "int32", value }),
  f32: (value: number): GgufValue => ({ type: "float32", value }),
  f64: (value: number): GgufValue => ({ type: "float64", value }),
  u64: (value: bigint): GgufValue => ({ type: "uint64", value }),
  i64: (value: bigint): GgufValue => ({ type: "int64", value }),
  bool: (value: boolean): GgufValue => ({ type: "bool", value }),
  str: (value: string): GgufValue => ({ type: "string", value }),
  strings: (value: readonly string[]): GgufValue => ({ type: "array", itemType: "string", value }),
  numbers: (itemType: GgufNumberType, value: ArrayLike<number>): GgufValue => ({ type: "array", itemType, value }),
  bigints: (itemType: GgufBigIntType, value: ArrayLike<bigint>): GgufValue => ({ type: "array", itemType, value }),
  bools: (value: ArrayLike<boolean>): GgufValue => ({ type: "array", itemType: "bool", value }),
};

const TYPE_NAME_BY_ID = new Map<number, keyof typeof GGUF_TYPE>(
  Object.entries(GGUF_TYPE).map(([name, id]) => [id, name as keyof typeof GGUF_TYPE]),
);

/** Byte size of a fixed-size item type. */
const ITEM_SIZE: Record<Exclude<GgufItemType, "string">, number> = {
  uint8: 1, int8: 1, uint16: 2, int16: 2, uint32: 4, int32: 4, float32: 4, float64: 8, uint64: 8, int64: 8, bool: 1,
};

// ---------------------------------------------------------------------------------------------
// Tensor types

/** ggml tensor type ids (ggml_type) this module can size. */
export const GGML_TYPE = {
  F32: 0, F16: 1, Q4_0: 2, Q4_1: 3, Q5_0: 6, Q5_1: 7, Q8_0: 8, Q8_1: 9,
  Q2_K: 10, Q3_K: 11, Q4_K: 12, Q5_K: 13, Q6_K: 14, Q8_K: 15,
  I8: 24, I16: 25, I32: 26, I64: 27, F64: 28, BF16: 30, MXFP4: 39,
} as const;
export type GgmlTypeName = keyof typeof GGML_TYPE;

/** [elements per block, bytes per block] of each ggml type (ggml's type traits). */
const GGML_BLOCK: Record<number, readonly [number, number]> = {
  0: [1, 4], 1: [1, 2], 2: [32, 18], 3: [32, 20], 6: [32, 22], 7: [32, 24], 8: [32, 34], 9: [32, 36],
  10: [256, 84], 11: [256, 110], 12: [256, 144], 13: [256, 176], 14: [256, 210], 15: [256, 292],
  24: [1, 1], 25: [1, 2], 26: [1, 4], 27: [1, 8], 28: [1, 8], 30: [1, 2], 39: [32, 17],
};

export function ggmlTypeName(type: number): string {
  const entry = Object.entries(GGML_TYPE).find(([, id]) => id === type);
  return entry ? entry[0] : `type ${type}`;
}

/** Bytes of a tensor's data (unpadded), or undefined for a type this module cannot size. */
export function tensorByteLength(type: number, shape: readonly number[]): number | undefined {
  const block = GGML_BLOCK[type];
  if (!block) return undefined;
  const [blockElems, blockBytes] = block;
  const rowElems = shape[0] ?? 1;
  if (rowElems % blockElems !== 0) return undefined;
  let rows = 1;
  for (let i = 1; i < shape.length; i++) rows *= shape[i];
  return (rowElems / blockElems) * blockBytes * rows;
}

export interface GgufTensorInfo {
  name: string;
  /** ggml `ne`: shape[0] is the contiguous (fastest-varying) dimension. */
  shape: number[];
  /** ggml type id (GGML_TYPE). */
  type: number;
  /** Offset of the data from the start of the data section. */
  offset: number;
  /** Unpadded byte length of the data. */
  byteLength: number;
}

// ---------------------------------------------------------------------------------------------
// Errors

/** A file that is not a well-formed GGUF file (exit 1, names the file and a reason code). */
export class GgufError extends DataError {}

export class InvalidGgufMagicError extends GgufError {
  constructor(
    readonly file: string,
    readonly actual: string,
  ) {
    super("gguf-bad-magic", `not a GGUF file: expected magic "${GGUF_MAGIC}", found ${actual}; is this a model file?`, {
      file,
    });
  }
}

// ---------------------------------------------------------------------------------------------
// Reader

export interface GgufFile {
  path: string;
  version: number;
  metadata: GgufMetadata;
  tensors: GgufTensorInfo[];
  alignment: number;
  /** Absolute file offset of the data section. */
  dataOffset: number;
  fileSize: number;
}

/** Sequential reads over a file descriptor through a refilled buffer (headers can be megabytes). */
class FileCursor {
  private buf = Buffer.alloc(1 << 20);
  private start = 0; // file offset of buf[0]
  private end = 0; // valid bytes in buf
  private pos = 0; // read position in buf

  constructor(
    private readonly fd: number,
    readonly path: string,
    readonly fileSize: number,
  ) {}

  get offset(): number {
    return this.start + this.pos;
  }

  /** Make n bytes available at pos, or fail as truncated. */
  private need(n: number, what: string): void {
    if (this.pos + n <= this.end) return;
    if (this.offset + n > this.fileSize) {
      throw new GgufError("gguf-truncated", `file ends inside ${what} (offset ${this.offset}, needs ${n} bytes)`, {
        file: this.path,
      });
    }
    const keep = this.end - this.pos;
    const size = Math.max(this.buf.length, keep + n);
    if (size > this.buf.length) {
      const next = Buffer.alloc(size * 2);
      this.buf.copy(next, 0, this.pos, this.end);
      this.buf = next;
    } else {
      this.buf.copyWithin(0, this.pos, this.end);
    }
    this.start += this.pos;
    this.pos = 0;
    this.end = keep;
    while (this.end < n) {
      const got = readSync(this.fd, this.buf, this.end, this.buf.length - this.end, this.start + this.end);
      if (got === 0) break;
      this.end += got;
    }
  }

  bytes(n: number, what: string): Buffer {
    this.need(n, what);
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  u32(what: string): number {
    this.need(4, what);
    const v = this.buf.readUInt32LE(this.pos);
    this.pos += 4;
    return v;
  }

  u64(what: string): number {
    this.need(8, what);
    const v = this.buf.readBigUInt64LE(this.pos);
    this.pos += 8;
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) {
      throw new GgufError("gguf-bad-size", `${what} is too large (${v})`, { file: this.path });
    }
    return Number(v);
  }

  string(what: string): string {
    const length = this.u64(`${what} length`);
    const raw = this.bytes(length, what);
    try {
      return UTF8.decode(raw);
    } catch {
      throw new GgufError("gguf-bad-utf8", `${what} is not valid UTF-8`, { file: this.path });
    }
  }
}

const UTF8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/** Read a GGUF file's header: metadata and tensor infos (tensor data is read on demand). */
export function readGguf(path: string): GgufFile {
  const fd = openSync(path, "r");
  try {
    const cursor = new FileCursor(fd, path, fstatSync(fd).size);
    return readHeader(cursor);
  } finally {
    closeSync(fd);
  }
}

function readHeader(c: FileCursor): GgufFile {
  const magic = c.fileSize >= 4 ? c.bytes(4, "the magic") : Buffer.alloc(0);
  if (magic.toString("latin1") !== GGUF_MAGIC) throw new InvalidGgufMagicError(c.path, describeMagic(magic));
  const version = c.u32("the version");
  if (version !== GGUF_VERSION) {
    throw new GgufError("gguf-bad-version", `unsupported GGUF version ${version} (this reader handles version 3)`, {
      file: c.path,
    });
  }
  const tensorCount = c.u64("the tensor count");
  const kvCount = c.u64("the metadata count");
  const metadata: GgufMetadata = new Map();
  for (let i = 0; i < kvCount; i++) {
    const key = c.string(`metadata key ${i}`);
    if (metadata.has(key)) throw new GgufError("gguf-duplicate-key", `duplicate metadata key "${key}"`, { file: c.path });
    metadata.set(key, readValue(c, key));
  }
  const alignment = alignmentOf(metadata, c.path);
  const tensors = readTensorInfos(c, tensorCount, alignment);
  const dataOffset = padTo(c.offset, alignment);
  const dataEnd = tensors.length ? dataOffset + tensors.at(-1)!.offset + tensors.at(-1)!.byteLength : dataOffset;
  if (dataEnd > c.fileSize) {
    throw new GgufError("gguf-truncated", `tensor data ends at ${dataEnd}, past the end of the file (${c.fileSize})`, {
      file: c.path,
    });
  }
  return { path: c.path, version, metadata, tensors, alignment, dataOffset, fileSize: c.fileSize };
}

function describeMagic(magic: Buffer): string {
  if (magic.length < 4) return `a ${magic.length}-byte file`;
  const printable = /^[\x20-\x7e]{4}$/.test(magic.toString("latin1")) ? ` ("${magic.toString("latin1")}")` : "";
  return `0x${magic.toString("hex")}${printable}`;
}

function readValue(c: FileCursor, key: string): GgufValue {
  const type = typeName(c.u32(`type of "${key}"`), key, c.path);
  if (type !== "array") return readScalar(c, type, key);
  const itemType = typeName(c.u32(`item type of "${key}"`), key, c.path);
  if (itemType === "array") throw new GgufError("gguf-nested-array", `"${key}" is an array of arrays`, { file: c.path });
  const count = c.u64(`length of "${key}"`);
  return readArray(c, itemType, count, key);
}

function typeName(id: number, key: string, file: string): keyof typeof GGUF_TYPE {
  const name = TYPE_NAME_BY_ID.get(id);
  if (name === undefined) throw new GgufError("gguf-bad-type", `"${key}" has unknown value type ${id}`, { file });
  return name;
}

function readScalar(c: FileCursor, type: GgufItemType, key: string): GgufScalar {
  if (type === "string") return { type, value: c.string(`value of "${key}"`) };
  const raw = c.bytes(ITEM_SIZE[type], `value of "${key}"`);
  switch (type) {
    case "uint8": return { type, value: raw.readUInt8(0) };
    case "int8": return { type, value: raw.readInt8(0) };
    case "uint16": return { type, value: raw.readUInt16LE(0) };
    case "int16": return { type, value: raw.readInt16LE(0) };
    case "uint32": return { type, value: raw.readUInt32LE(0) };
    case "int32": return { type, value: raw.readInt32LE(0) };
    case "float32": return { type, value: raw.readFloatLE(0) };
    case "float64": return { type, value: raw.readDoubleLE(0) };
    case "uint64": return { type, value: raw.readBigUInt64LE(0) };
    case "int64": return { type, value: raw.readBigInt64LE(0) };
    case "bool": return { type, value: boolByte(raw[0], key, c.path) };
  }
}

function boolByte(byte: number, key: string, file: string): boolean {
  if (byte > 1) throw new GgufError("gguf-bad-bool", `"${key}" holds bool byte ${byte} (must be 0 or 1)`, { file });
  return byte === 1;
}

function readArray(c: FileCursor, itemType: GgufItemType, count: number, key: string): GgufArray {
  if (itemType === "string") {
    const value: string[] = new Array(count);
    for (let i = 0; i < count; i++) value[i] = c.string(`item ${i} of "${key}"`);
    return { type: "array", itemType, value };
  }
  // Copy into a fresh (aligned) buffer so a typed array can view it.
  const raw = Buffer.from(c.bytes(count * ITEM_SIZE[itemType], `items of "${key}"`));
  const ab = raw.buffer;
  const at = raw.byteOffset;
  switch (itemType) {
    case "uint8": return { type: "array", itemType, value: new Uint8Array(ab, at, count) };
    case "int8": return { type: "array", itemType, value: new Int8Array(ab, at, count) };
    case "uint16": return { type: "array", itemType, value: new Uint16Array(ab, at, count) };
    case "int16": return { type: "array", itemType, value: new Int16Array(ab, at, count) };
    case "uint32": return { type: "array", itemType, value: new Uint32Array(ab, at, count) };
    case "int32": return { type: "array", itemType, value: new Int32Array(ab, at, count) };
    case "float32": return { type: "array", itemType, value: new Float32Array(ab, at, count) };
    case "float64": return { type: "array", itemType, value: new Float64Array(ab, at, count) };
    case "uint64": return { type: "array", itemType, value: new BigUint64Array(ab, at, count) };
    case "int64": return { type: "array", itemType, value: new BigInt64Array(ab, at, count) };
    case "bool": return { type: "array", itemType, value: Array.from(raw, (b) => boolByte(b, key, c.path)) };
  }
}

function alignmentOf(metadata: GgufMetadata, file: string): number {
  const value = metadata.get("general.alignment");
  if (value === undefined) return GGUF_DEFAULT_ALIGNMENT;
  if (value.type !== "uint32" || value.value === 0 || (value.value & (value.value - 1)) !== 0) {
    throw new GgufError("gguf-bad-alignment", `general.alignment must be a UINT32 power of two`, { file });
  }
  return value.value;
}

function readTensorInfos(c: FileCursor, count: number, alignment: number): GgufTensorInfo[] {
  const tensors: GgufTensorInfo[] = [];
  const names = new Set<string>();
  let expectedOffset = 0;
  for (let i = 0; i < count; i++) {
    const name = c.string(`tensor name ${i}`);
    if (names.has(name)) throw new GgufError("gguf-duplicate-tensor", `duplicate tensor "${name}"`, { file: c.path });
    names.add(name);
    const nDims = c.u32(`dimensions of "${name}"`);
    if (nDims > 4) throw new GgufError("gguf-bad-shape", `tensor "${name}" has ${nDims} dimensions (max 4)`, { file: c.path });
    const shape: number[] = [];
    for (let d = 0; d < nDims; d++) shape.push(c.u64(`shape of "${name}"`));
    const type = c.u32(`type of "${name}"`);
    const offset = c.u64(`offset of "${name}"`);
    const byteLength = tensorByteLength(type, shape);
    if (byteLength === undefined) {
      throw new GgufError("gguf-unsupported-tensor-type", `tensor "${name}" has ${ggmlTypeName(type)}, which this reader cannot size`, {
        file: c.path,
      });
    }
    if (offset !== expectedOffset) {
      throw new GgufError("gguf-bad-offset", `tensor "${name}" has offset ${offset}, expected ${expectedOffset} (offsets must be contiguous)`, {
        file: c.path,
      });
    }
    expectedOffset = offset + padTo(byteLength, alignment);
    tensors.push({ name, shape, type, offset, byteLength });
  }
  return tensors;
}

/** The raw bytes of one tensor (a positioned read; the header stays the only thing in memory). */
export function readTensorData(file: GgufFile, tensor: GgufTensorInfo): Buffer {
  const out = Buffer.alloc(tensor.byteLength);
  const fd = openSync(file.path, "r");
  try {
    let done = 0;
    while (done < out.length) {
      const got = readSync(fd, out, done, out.length - done, file.dataOffset + tensor.offset + done);
      if (got === 0) throw new GgufError("gguf-truncated", `file ends inside tensor "${tensor.name}"`, { file: file.path });
      done += got;
    }
  } finally {
    closeSync(fd);
  }
  return out;
}

/** A tensor's values as float32 (F32, F16 and BF16 tensors). */
export function tensorToFloat32(tensor: GgufTensorInfo, data: Uint8Array): Float32Array {
  const aligned = new Uint8Array(data); // copy: typed views need aligned offsets
  switch (tensor.type) {
    case GGML_TYPE.F32: return new Float32Array(aligned.buffer, 0, aligned.length / 4);
    case GGML_TYPE.F16: return f16ToF32(new Uint16Array(aligned.buffer, 0, aligned.length / 2));
    case GGML_TYPE.BF16: return bf16ToF32(new Uint16Array(aligned.buffer, 0, aligned.length / 2));
    default: throw new Error(`tensorToFloat32: ${tensor.name} is ${ggmlTypeName(tensor.type)}, not F32/F16/BF16`);
  }
}

/** The value of a metadata key, checked to have the given type (as llama.cpp checks it). */
export function metadataValue<T extends GgufValue["type"]>(
  file: GgufFile,
  key: string,
  type: T,
): Extract<GgufValue, { type: T }>["value"] {
  const value = file.metadata.get(key);
  if (!value) throw new GgufError("gguf-missing-key", `metadata key "${key}" is missing`, { file: file.path });
  if (value.type !== type) {
    throw new GgufError("gguf-wrong-type", `metadata key "${key}" is ${value.type}, expected ${type}`, { file: file.path });
  }
  return value.value as never; // checked above: value.type === T
}

// ---------------------------------------------------------------------------------------------
// Float conversion

const f32Scratch = new Float32Array(1);
const u32Scratch = new Uint32Array(f32Scratch.buffer);

/** IEEE half from float32 bits, round to nearest even (overflow → inf, NaN kept quiet). */
function halfFromBits(x: number): number {
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 | (mant >>> 13) : 0);
  const e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign; // below half the smallest subnormal
    mant |= 0x800000;
    const shift = 14 - e;
    const half = mant >>> shift;
    const rest = mant & ((1 << shift) - 1);
    const mid = 1 << (shift - 1);
    return sign | (half + (rest > mid || (rest === mid && (half & 1)) ? 1 : 0));
  }
  const half = (e << 10) | (mant >>> 13);
  const rest = mant & 0x1fff;
  // A carry out of the mantissa correctly bumps the exponent (up to inf).
  return sign | (half + (rest > 0x1000 || (rest === 0x1000 && (half & 1)) ? 1 : 0));
}

/** float32 → IEEE half (F16), round to nearest even. */
export function f32ToF16(values: ArrayLike<number>): Uint16Array {
  const out = new Uint16Array(values.length);
  const bits = values instanceof Float32Array ? new Uint32Array(values.buffer, values.byteOffset, values.length) : undefined;
  for (let i = 0; i < values.length; i++) {
    if (bits) out[i] = halfFromBits(bits[i]);
    else {
      f32Scratch[0] = values[i];
      out[i] = halfFromBits(u32Scratch[0]);
    }
  }
  return out;
}

/** float32 → bfloat16 (BF16), round to nearest even; NaN stays NaN. */
export function f32ToBf16(values: ArrayLike<number>): Uint16Array {
  const out = new Uint16Array(values.length);
  for (let i = 0; i < values.length; i++) {
    f32Scratch[0] = values[i];
    const x = u32Scratch[0];
    if ((x & 0x7fffffff) > 0x7f800000) out[i] = (x >>> 16) | 0x40;
    else out[i] = (x + 0x7fff + ((x >>> 16) & 1)) >>> 16;
  }
  return out;
}

export function f16ToF32(values: Uint16Array): Float32Array {
  const out = new Float32Array(values.length);
  const bits = new Uint32Array(out.buffer);
  for (let i = 0; i < values.length; i++) {
    const h = values[i];
    const sign = (h & 0x8000) << 16;
    const exp = (h >>> 10) & 0x1f;
    const mant = h & 0x3ff;
    if (exp === 0x1f) bits[i] = sign | 0x7f800000 | (mant << 13);
    else if (exp !== 0) bits[i] = sign | ((exp - 15 + 127) << 23) | (mant << 13);
    else out[i] = (sign ? -1 : 1) * mant * 2 ** -24; // zero or subnormal
  }
  return out;
}

export function bf16ToF32(values: Uint16Array): Float32Array {
  const out = new Float32Array(values.length);
  const bits = new Uint32Array(out.buffer);
  for (let i = 0; i < values.length; i++) bits[i] = values[i] << 16;
  return out;
}

/** The bytes of a typed array (a view, no copy). */
export function bytesOf(values: ArrayBufferView): Uint8Array {
  return new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
}

// ---------------------------------------------------------------------------------------------
// Writer

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
  view(): Buffer { return this.buf.subarray(0, this.length); }
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
    case "uint8": buf.writeUInt8(value as number, at); return;
    case "int8": buf.writeInt8(value as number, at); return;
    case "uint16": buf.writeUInt16LE(value as number, at); return;
    case "int16": buf.writeInt16LE(value as number, at); return;
    case "uint32": buf.writeUInt32LE(value as number, at); return;
    case "int32": buf.writeInt32LE(value as number, at); return;
    case "float32": buf.writeFloatLE(value as number, at); return;
    case "float64": buf.writeDoubleLE(value as number, at); return;
    case "uint64": buf.writeBigUInt64LE(value as bigint, at); return;
    case "int64": buf.writeBigInt64LE(value as bigint, at); return;
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

export function padTo(n: number, alignment: number): number {
  return Math.ceil(n / alignment) * alignment;
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
