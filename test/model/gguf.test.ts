// GGUF module: every value type, alignment, F32/F16/BF16 data, byte-identical round trips, named
// errors, and a cross-check against node-llama-cpp's own (independent) GGUF parser.
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readGgufFileInfo } from "node-llama-cpp";
import { afterAll, describe, expect, it } from "vitest";
import {
  GGML_TYPE,
  GgufError,
  InvalidGgufMagicError,
  bf16ToF32,
  bytesOf,
  f16ToF32,
  f32ToBf16,
  f32ToF16,
  gv,
  metadataValue,
  padTo,
  readGguf,
  readTensorData,
  tensorToFloat32,
  writeGguf,
  type GgufMetadata,
  type GgufTensorInput,
} from "../../src/model/gguf.js";

const dir = mkdtempSync(join(tmpdir(), "datagen-gguf-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function everyTypeMetadata(alignment?: number): GgufMetadata {
  const m: GgufMetadata = new Map([
    ["general.architecture", gv.str("test")],
    ["t.u8", gv.u8(255)],
    ["t.i8", gv.i8(-128)],
    ["t.u16", gv.u16(65535)],
    ["t.i16", gv.i16(-32768)],
    ["t.u32", gv.u32(4_294_967_295)],
    ["t.i32", gv.i32(-2_147_483_648)],
    ["t.f32", gv.f32(1e-5)],
    ["t.f64", gv.f64(Math.PI)],
    ["t.u64", gv.u64(18_446_744_073_709_551_615n)],
    ["t.i64", gv.i64(-9_223_372_036_854_775_808n)],
    ["t.bool", gv.bool(true)],
    ["t.str", gv.str("naïve ☃ 🤖 \n tab\t")],
    ["t.empty", gv.str("")],
    ["t.strings", gv.strings(["a", "", "Ġhello", "<|start|>", "日本"])],
    ["t.i32s", gv.numbers("int32", Int32Array.from([1, -2, 3]))],
    ["t.f32s", gv.numbers("float32", [0.5, -1.25])],
    ["t.u8s", gv.numbers("uint8", [0, 7, 255])],
    ["t.u64s", gv.bigints("uint64", [1n, 2n ** 40n])],
    ["t.bools", gv.bools([true, false, true])],
    ["t.none", gv.strings([])],
  ]);
  if (alignment !== undefined) m.set("general.alignment", gv.u32(alignment));
  return m;
}

function testTensors(): GgufTensorInput[] {
  const f32 = Float32Array.from({ length: 3 * 5 }, (_, i) => i / 7 - 1);
  const f16 = f32ToF16(Float32Array.from({ length: 7 }, (_, i) => i * 0.1));
  const bf16 = f32ToBf16(Float32Array.from({ length: 2 * 3 * 4 }, (_, i) => -i));
  return [
    { name: "a.weight", shape: [3, 5], type: GGML_TYPE.F32, data: bytesOf(f32) },
    { name: "b.weight", shape: [7], type: GGML_TYPE.F16, data: () => bytesOf(f16) },
    { name: "c.weight", shape: [2, 3, 4], type: GGML_TYPE.BF16, data: async () => bytesOf(bf16) },
  ];
}

describe("GGUF writer and reader", () => {
  it("keeps every metadata type, in order, and the tensor layout llama.cpp expects", async () => {
    const path = join(dir, "types.gguf");
    await writeGguf(path, { metadata: everyTypeMetadata(), tensors: testTensors() });
    const file = readGguf(path);
    expect([...file.metadata.keys()]).toEqual([...everyTypeMetadata().keys()]);
    for (const [key, expected] of everyTypeMetadata()) {
      const actual = file.metadata.get(key)!;
      expect(actual.type, key).toBe(expected.type);
      if (expected.type === "array") {
        expect(actual.type === "array" && actual.itemType, key).toBe(expected.itemType);
        expect(Array.from(actual.value as ArrayLike<unknown>), key).toEqual(Array.from(expected.value as ArrayLike<unknown>));
      } else if (expected.type === "float32") {
        expect(actual.value).toBe(Math.fround(expected.value));
      } else {
        expect(actual.value, key).toEqual(expected.value);
      }
    }
    expect(file.alignment).toBe(32);
    expect(file.dataOffset % 32).toBe(0);
    expect(file.tensors.map((t) => [t.name, t.shape, t.type, t.offset, t.byteLength])).toEqual([
      ["a.weight", [3, 5], GGML_TYPE.F32, 0, 60],
      ["b.weight", [7], GGML_TYPE.F16, 64, 14],
      ["c.weight", [2, 3, 4], GGML_TYPE.BF16, 96, 48],
    ]);
    // Each tensor is padded to the alignment, the last one included (as ggml writes).
    expect(file.fileSize).toBe(file.dataOffset + 96 + padTo(48, 32));
    const a = tensorToFloat32(file.tensors[0], readTensorData(file, file.tensors[0]));
    expect(Array.from(a)).toEqual(Array.from(Float32Array.from({ length: 15 }, (_, i) => i / 7 - 1)));
    const c = tensorToFloat32(file.tensors[2], readTensorData(file, file.tensors[2]));
    expect(Array.from(c)).toEqual(Array.from({ length: 24 }, (_, i) => -i));
  });

  it("re-writes a file it read byte for byte, with a custom alignment", async () => {
    const first = join(dir, "aligned.gguf");
    const second = join(dir, "aligned-again.gguf");
    await writeGguf(first, { metadata: everyTypeMetadata(64), tensors: testTensors() });
    const file = readGguf(first);
    expect(file.alignment).toBe(64);
    expect(file.dataOffset % 64).toBe(0);
    expect(file.tensors[1].offset).toBe(64);
    const tensors = file.tensors.map((t) => ({ ...t, data: () => readTensorData(file, t) }));
    await writeGguf(second, { metadata: file.metadata, tensors });
    expect(readFileSync(second).equals(readFileSync(first))).toBe(true);
  });

  it("agrees with node-llama-cpp's independent GGUF parser", async () => {
    const path = join(dir, "cross.gguf");
    await writeGguf(path, { metadata: everyTypeMetadata(), tensors: testTensors() });
    const info = await readGgufFileInfo(path, { readTensorInfo: true, logWarnings: false });
    expect(info.version).toBe(3);
    const t = info.metadata as unknown as Record<string, Record<string, unknown>>;
    expect(t.t.u32).toBe(4_294_967_295);
    expect(t.t.i16).toBe(-32768);
    expect(t.t.str).toBe("naïve ☃ 🤖 \n tab\t");
    expect(t.t.strings).toEqual(["a", "", "Ġhello", "<|start|>", "日本"]);
    expect(Array.from(t.t.i32s as number[])).toEqual([1, -2, 3]);
    expect(BigInt(t.t.u64 as bigint)).toBe(18_446_744_073_709_551_615n);
    expect(info.tensorInfo?.map((x) => [x.name, x.dimensions.map(Number), Number(x.offset)])).toEqual([
      ["a.weight", [3, 5], 0],
      ["b.weight", [7], 64],
      ["c.weight", [2, 3, 4], 96],
    ]);
  });

  it("returns typed metadata values and names a missing key or a wrong type", async () => {
    const path = join(dir, "lookup.gguf");
    await writeGguf(path, { metadata: everyTypeMetadata(), tensors: [] });
    const file = readGguf(path);
    expect(metadataValue(file, "t.u32", "uint32")).toBe(4_294_967_295);
    expect(metadataValue(file, "general.architecture", "string")).toBe("test");
    expect(() => metadataValue(file, "t.u32", "float32")).toThrow(expect.objectContaining({ code: "gguf-wrong-type" }));
    expect(() => metadataValue(file, "t.absent", "uint32")).toThrow(expect.objectContaining({ code: "gguf-missing-key" }));
    expect(file.tensors).toEqual([]);
  });

  it("rejects a bad magic with InvalidGgufMagicError naming the file", () => {
    const path = join(dir, "not-a-model.gguf");
    writeFileSync(path, "PK\x03\x04 this is a zip, not a model");
    let error: unknown;
    try {
      readGguf(path);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(InvalidGgufMagicError);
    expect((error as InvalidGgufMagicError).code).toBe("gguf-bad-magic");
    expect((error as Error).message).toContain(path);
    expect((error as Error).message).toContain("0x504b0304");
  });

  it("reports a truncated file, a bad version and a non-power-of-two alignment by reason code", async () => {
    const path = join(dir, "good.gguf");
    await writeGguf(path, { metadata: everyTypeMetadata(), tensors: testTensors() });
    const bytes = readFileSync(path);
    const cases: Array<[string, Buffer]> = [
      ["gguf-truncated", bytes.subarray(0, 200)],
      ["gguf-truncated", bytes.subarray(0, bytes.length - 40)],
      ["gguf-bad-version", Buffer.concat([bytes.subarray(0, 4), Buffer.from([2, 0, 0, 0]), bytes.subarray(8)])],
    ];
    for (const [code, content] of cases) {
      const bad = join(dir, `bad-${code}.gguf`);
      writeFileSync(bad, content);
      expect(() => readGguf(bad)).toThrow(expect.objectContaining({ code, message: expect.stringContaining(bad) }));
    }
    const metadata = everyTypeMetadata(48);
    await expect(writeGguf(join(dir, "align48.gguf"), { metadata, tensors: [] })).rejects.toThrow(GgufError);
  });

  it("leaves neither the file nor a temporary file behind when a tensor has the wrong size", async () => {
    const sub = mkdtempSync(join(dir, "atomic-"));
    const path = join(sub, "broken.gguf");
    const tensors: GgufTensorInput[] = [{ name: "x", shape: [4], type: GGML_TYPE.F32, data: new Uint8Array(12) }];
    await expect(writeGguf(path, { metadata: new Map(), tensors })).rejects.toThrow(/has 12 bytes, its shape and type need 16/);
    expect(existsSync(path)).toBe(false);
    expect(readdirSync(sub)).toEqual([]);
  });
});

describe("float conversions", () => {
  it("converts float32 to F16 with round-to-nearest-even, overflow to inf, underflow to zero", () => {
    const cases: Array<[number, number]> = [
      [0, 0x0000],
      [-0, 0x8000],
      [1, 0x3c00],
      [-2, 0xc000],
      [65504, 0x7bff],
      [65520, 0x7c00], // halfway to the next (absent) value rounds to even: inf
      [1e6, 0x7c00],
      [-Infinity, 0xfc00],
      [2 ** -24, 0x0001], // smallest subnormal
      [2 ** -25, 0x0000], // tie with zero rounds to even (zero)
      [1.5 * 2 ** -24, 0x0002], // tie between 1 and 2 subnormal steps rounds to even
      [2 ** -14, 0x0400], // smallest normal
      [1 + 2 ** -11, 0x3c00], // tie: stays on the even mantissa
      [1 + 3 * 2 ** -11, 0x3c02], // tie: rounds up to the even mantissa
      [0.1, 0x2e66],
    ];
    for (const [value, half] of cases) expect(f32ToF16([value])[0], String(value)).toBe(half);
    expect(Number.isNaN(f16ToF32(f32ToF16([NaN]))[0])).toBe(true);
  });

  it("round-trips every F16 and BF16 bit pattern through float32", () => {
    const all = Uint16Array.from({ length: 65536 }, (_, i) => i);
    const isNaN16 = (h: number) => (h & 0x7c00) === 0x7c00 && (h & 0x3ff) !== 0;
    const isNaNBf = (h: number) => (h & 0x7f80) === 0x7f80 && (h & 0x7f) !== 0;
    const half = f32ToF16(f16ToF32(all));
    const brain = f32ToBf16(bf16ToF32(all));
    const wrong: string[] = [];
    let checked = 0;
    for (let i = 0; i < 65536; i++) {
      if (!isNaN16(i)) {
        checked++;
        if (half[i] !== i) wrong.push(`f16 ${i.toString(16)} -> ${half[i].toString(16)}`);
      }
      if (!isNaNBf(i) && brain[i] !== i) wrong.push(`bf16 ${i.toString(16)} -> ${brain[i].toString(16)}`);
    }
    expect(wrong.slice(0, 5)).toEqual([]);
    expect(checked).toBe(65536 - 2 * 1023);
  });

  it("converts float32 to BF16 with round-to-nearest-even", () => {
    // biome-ignore lint/suspicious/noApproximativeNumericConstant: a value near pi, not pi, whose bf16 rounding is known
    expect(Array.from(f32ToBf16([1, -2, 1 + 2 ** -8, 1 + 3 * 2 ** -8, 3.14159]))).toEqual([0x3f80, 0xc000, 0x3f80, 0x3f82, 0x4049]);
  });
});
