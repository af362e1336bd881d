// GGUF v3 (the file format of ggml / llama.cpp): one import for its four parts, split by job.
export * from "./gguf-format.js";
export * from "./gguf-read.js";
export * from "./gguf-write.js";
export * from "./half-float.js";
