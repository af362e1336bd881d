// Text utilities with computed, reproducible results.

export function textStats(text: string) {
  const words = text.match(/[\p{L}\p{N}][\p{L}\p{N}'’-]*/gu)?.length ?? 0;
  const sentences = text.split(/[.!?]+(?:\s|$)/u).filter((s) => /[\p{L}\p{N}]/u.test(s)).length;
  return {
    characters: [...text].length,
    words,
    sentences,
    lines: text === "" ? 0 : text.split(/\r\n|\r|\n/).length,
    reading_seconds: Math.round((words / 230) * 60),
  };
}

export type TextOperation = "upper" | "lower" | "title" | "sentence" | "reverse" | "collapse_whitespace";

export function transformText(text: string, operation: TextOperation): string {
  switch (operation) {
    case "upper":
      return text.toUpperCase();
    case "lower":
      return text.toLowerCase();
    case "title":
      return text.toLowerCase().replace(/(^|[\s\-(/"“])(\p{L})/gu, (_, lead: string, ch: string) => lead + ch.toUpperCase());
    case "sentence":
      return text.toLowerCase().replace(/(^\s*|[.!?]\s+)(\p{L})/gu, (_, lead: string, ch: string) => lead + ch.toUpperCase());
    case "reverse":
      return [...text].reverse().join("");
    case "collapse_whitespace":
      return text.replace(/\s+/g, " ").trim();
  }
}

export function slugify(text: string): string {
  return text
    .normalize("NFKD")
    .replace(/[\u0300-\u036f]/g, "")
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "");
}

const COMMON_PASSWORDS = new Set([
  "123456",
  "password",
  "123456789",
  "12345678",
  "qwerty",
  "abc123",
  "111111",
  "letmein",
  "iloveyou",
  "admin",
  "welcome",
  "monkey",
  "dragon",
  "football",
  "sunshine",
  "princess",
  "password1",
  "qwerty123",
  "trustno1",
  "000000",
]);

/** Offline strength estimate: character-pool entropy, penalised for repeats, sequences and common passwords. */
export function passwordStrength(password: string) {
  const warnings: string[] = [];
  const pool =
    (/[a-z]/.test(password) ? 26 : 0) +
    (/[A-Z]/.test(password) ? 26 : 0) +
    (/[0-9]/.test(password) ? 10 : 0) +
    (/[^A-Za-z0-9]/.test(password) ? 33 : 0);
  let entropy = password.length * Math.log2(Math.max(pool, 1));
  if (COMMON_PASSWORDS.has(password.toLowerCase())) {
    warnings.push("appears in common-password lists");
    entropy = Math.min(entropy, 10);
  }
  if (/(.)\1{2,}/.test(password)) {
    warnings.push("contains a character repeated 3+ times");
    entropy *= 0.75;
  }
  if (/(?:0123|1234|2345|3456|4567|5678|6789|abcd|bcde|qwer|asdf)/i.test(password)) {
    warnings.push("contains a keyboard or number sequence");
    entropy *= 0.8;
  }
  if (password.length < 12) warnings.push("shorter than 12 characters");
  const score = entropy < 28 ? 0 : entropy < 36 ? 1 : entropy < 60 ? 2 : entropy < 80 ? 3 : 4;
  return { score, entropy_bits: Math.round(entropy * 10) / 10, warnings: warnings.slice(0, 4) };
}

const HASH_LENGTHS: Record<number, string[]> = {
  32: ["MD5", "NTLM", "MD4"],
  40: ["SHA-1", "RIPEMD-160"],
  56: ["SHA-224", "SHA3-224"],
  64: ["SHA-256", "SHA3-256", "BLAKE2s-256"],
  96: ["SHA-384", "SHA3-384"],
  128: ["SHA-512", "SHA3-512", "BLAKE2b-512"],
};

export function identifyHash(digest: string) {
  const d = digest.trim();
  if (/^\$2[aby]\$\d{2}\$.{53}$/.test(d)) return { length: d.length, encoding: "other" as const, candidates: ["bcrypt"] };
  if (/^\$argon2(id|i|d)\$/.test(d)) return { length: d.length, encoding: "other" as const, candidates: ["Argon2"] };
  if (/^[0-9a-fA-F]+$/.test(d)) return { length: d.length, encoding: "hex" as const, candidates: HASH_LENGTHS[d.length] ?? [] };
  if (/^[A-Za-z0-9+/]+={0,2}$/.test(d) && d.length % 4 === 0) {
    const bytes = (d.length / 4) * 3 - (d.match(/=+$/)?.[0].length ?? 0);
    return { length: d.length, encoding: "base64" as const, candidates: HASH_LENGTHS[bytes * 2] ?? [] };
  }
  return { length: d.length, encoding: "other" as const, candidates: [] };
}
