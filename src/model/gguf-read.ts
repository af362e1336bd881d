// The GGUF reader: header, metadata and tensor infos through a buffered cursor; tensor data on demand.
import { closeSync, fstatSync, openSync, readSync } from "node:fs";
import {
  GGUF_MAGIC,
  GGUF_VERSION,
  GGUF_DEFAULT_ALIGNMENT,
  type GGUF_TYPE,
  TYPE_NAME_BY_ID,
  ITEM_SIZE,
  GGML_TYPE,
  ggmlTypeName,
  tensorByteLength,
  GgufError,
  InvalidGgufMagicError,
  padTo,
  type GgufItemType,
  type GgufScalar,
  type GgufArray,
  type GgufValue,
  type GgufMetadata,
  type GgufTensorInfo,
} from "./gguf-format.js";
import { f16ToF32, bf16ToF32 } from "./half-float.js";

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
    case "uint8":
      return { type, value: raw.readUInt8(0) };
    case "int8":
      return { type, value: raw.readInt8(0) };
    case "uint16":
      return { type, value: raw.readUInt16LE(0) };
    case "int16":
      return { type, value: raw.readInt16LE(0) };
    case "uint32":
      return { type, value: raw.readUInt32LE(0) };
    case "int32":
      return { type, value: raw.readInt32LE(0) };
    case "float32":
      return { type, value: raw.readFloatLE(0) };
    case "float64":
      return { type, value: raw.readDoubleLE(0) };
    case "uint64":
      return { type, value: raw.readBigUInt64LE(0) };
    case "int64":
      return { type, value: raw.readBigInt64LE(0) };
    case "bool":
      return { type, value: boolByte(raw[0], key, c.path) };
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
    case "uint8":
      return { type: "array", itemType, value: new Uint8Array(ab, at, count) };
    case "int8":
      return { type: "array", itemType, value: new Int8Array(ab, at, count) };
    case "uint16":
      return { type: "array", itemType, value: new Uint16Array(ab, at, count) };
    case "int16":
      return { type: "array", itemType, value: new Int16Array(ab, at, count) };
    case "uint32":
      return { type: "array", itemType, value: new Uint32Array(ab, at, count) };
    case "int32":
      return { type: "array", itemType, value: new Int32Array(ab, at, count) };
    case "float32":
      return { type: "array", itemType, value: new Float32Array(ab, at, count) };
    case "float64":
      return { type: "array", itemType, value: new Float64Array(ab, at, count) };
    case "uint64":
      return { type: "array", itemType, value: new BigUint64Array(ab, at, count) };
    case "int64":
      return { type: "array", itemType, value: new BigInt64Array(ab, at, count) };
    case "bool":
      return { type: "array", itemType, value: Array.from(raw, (b) => boolByte(b, key, c.path)) };
  }
}

export function alignmentOf(metadata: GgufMetadata, file: string): number {
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
      throw new GgufError(
        "gguf-bad-offset",
        `tensor "${name}" has offset ${offset}, expected ${expectedOffset} (offsets must be contiguous)`,
        {
          file: c.path,
        },
      );
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
    case GGML_TYPE.F32:
      return new Float32Array(aligned.buffer, 0, aligned.length / 4);
    case GGML_TYPE.F16:
      return f16ToF32(new Uint16Array(aligned.buffer, 0, aligned.length / 2));
    case GGML_TYPE.BF16:
      return bf16ToF32(new Uint16Array(aligned.buffer, 0, aligned.length / 2));
    default:
      throw new Error(`tensorToFloat32: ${tensor.name} is ${ggmlTypeName(tensor.type)}, not F32/F16/BF16`);
  }
}

/** The value of a metadata key, checked to have the given type (as llama.cpp checks it). */
export function metadataValue<T extends GgufValue["type"]>(file: GgufFile, key: string, type: T): Extract<GgufValue, { type: T }>["value"] {
  const value = file.metadata.get(key);
  if (!value) throw new GgufError("gguf-missing-key", `metadata key "${key}" is missing`, { file: file.path });
  if (value.type !== type) {
    throw new GgufError("gguf-wrong-type", `metadata key "${key}" is ${value.type}, expected ${type}`, { file: file.path });
  }
  return value.value as never; // checked above: value.type === T
}
