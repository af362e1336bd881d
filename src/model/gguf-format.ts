// GGUF v3 (the file format of ggml / llama.cpp; spec: ggml docs/gguf.md): the format's constants,
// value and tensor types, and errors. The reader is gguf-read.ts, the writer gguf-write.ts, the
// half-float conversion half-float.ts; gguf.ts re-exports all four.
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

export const TYPE_NAME_BY_ID = new Map<number, keyof typeof GGUF_TYPE>(
  Object.entries(GGUF_TYPE).map(([name, id]) => [id, name as keyof typeof GGUF_TYPE]),
);

/** Byte size of a fixed-size item type. */
export const ITEM_SIZE: Record<Exclude<GgufItemType, "string">, number> = {
  uint8: 1,
  int8: 1,
  uint16: 2,
  int16: 2,
  uint32: 4,
  int32: 4,
  float32: 4,
  float64: 8,
  uint64: 8,
  int64: 8,
  bool: 1,
};

// ---------------------------------------------------------------------------------------------
// Tensor types

/** ggml tensor type ids (ggml_type) this module can size. */
export const GGML_TYPE = {
  F32: 0,
  F16: 1,
  Q4_0: 2,
  Q4_1: 3,
  Q5_0: 6,
  Q5_1: 7,
  Q8_0: 8,
  Q8_1: 9,
  Q2_K: 10,
  Q3_K: 11,
  Q4_K: 12,
  Q5_K: 13,
  Q6_K: 14,
  Q8_K: 15,
  I8: 24,
  I16: 25,
  I32: 26,
  I64: 27,
  F64: 28,
  BF16: 30,
  MXFP4: 39,
} as const;
export type GgmlTypeName = keyof typeof GGML_TYPE;

/** [elements per block, bytes per block] of each ggml type (ggml's type traits). */
const GGML_BLOCK: Record<number, readonly [number, number]> = {
  0: [1, 4],
  1: [1, 2],
  2: [32, 18],
  3: [32, 20],
  6: [32, 22],
  7: [32, 24],
  8: [32, 34],
  9: [32, 36],
  10: [256, 84],
  11: [256, 110],
  12: [256, 144],
  13: [256, 176],
  14: [256, 210],
  15: [256, 292],
  24: [1, 1],
  25: [1, 2],
  26: [1, 4],
  27: [1, 8],
  28: [1, 8],
  30: [1, 2],
  39: [32, 17],
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

/** n rounded up to a multiple of the alignment (tensor offsets and sizes). */
export function padTo(n: number, alignment: number): number {
  return Math.ceil(n / alignment) * alignment;
}
