// GGUF reader and writer for the trainer (GGUF v3, little-endian; the layout llama.cpp reads).
//
// File layout (ggml's gguf.h): "GGUF" magic, u32 version, u64 tensor count, u64 key/value count,
// the key/values, the tensor infos (name, dims, ggml type, offset), padding to the alignment, the data.
// The reader memory-maps the file and keeps each key/value's raw bytes, so a checkpoint copies all
// metadata (tokenizer included) byte for byte. Only F32, F16 and BF16 tensors are supported.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

namespace gguf {

enum TensorType : uint32_t { F32 = 0, F16 = 1, BF16 = 30 };

enum ValueType : uint32_t {
    U8 = 0, I8 = 1, U16 = 2, I16 = 3, U32 = 4, I32 = 5, F32V = 6, BOOL = 7,
    STRING = 8, ARRAY = 9, U64 = 10, I64 = 11, F64 = 12,
};

struct Error : std::runtime_error {
    using std::runtime_error::runtime_error;
};

struct KeyValue {
    std::string key;
    ValueType type;
    const uint8_t* raw;  // the value's bytes in the mapped file (type tag excluded)
    size_t raw_size;
};

struct TensorInfo {
    std::string name;
    std::vector<uint64_t> dims;  // ggml order: dims[0] is the contiguous (fastest) dimension
    TensorType type;
    uint64_t offset;             // relative to the start of the data section
    uint64_t elements() const;
    uint64_t bytes() const;
};

// A memory-mapped GGUF file. Throws gguf::Error with a hint when the header does not check.
class File {
public:
    explicit File(const std::string& path);
    ~File();
    File(const File&) = delete;
    File& operator=(const File&) = delete;

    const std::string& path() const { return path_; }
    uint32_t version() const { return version_; }
    const std::vector<KeyValue>& metadata() const { return kvs_; }
    const std::vector<TensorInfo>& tensors() const { return tensors_; }
    const TensorInfo* find_tensor(const std::string& name) const;
    const KeyValue* find_key(const std::string& key) const;

    // Scalar metadata readers (integers of any width, floats, strings); throw when missing.
    bool has_key(const std::string& key) const { return find_key(key) != nullptr; }
    uint64_t get_uint(const std::string& key) const;
    double get_float(const std::string& key) const;
    std::string get_string(const std::string& key) const;
    uint64_t array_length(const std::string& key) const;

    // Copies tensor `name` into out (converted to T), checking its element count.
    template <typename T>
    void read_tensor(const std::string& name, T* out, uint64_t expected_elements) const;

private:
    std::string path_;
    uint8_t* map_ = nullptr;
    size_t size_ = 0;
    uint32_t version_ = 0;
    uint64_t alignment_ = 32;
    size_t data_start_ = 0;
    std::vector<KeyValue> kvs_;
    std::vector<TensorInfo> tensors_;
};

// One tensor to write: its info (offset is filled in by the writer) and float data to convert.
struct TensorOut {
    std::string name;
    std::vector<uint64_t> dims;
    TensorType type;
    const float* data;
};

// Writes a GGUF with `source`'s metadata copied verbatim and the given tensors. Writes
// path + ".tmp" and renames, so a killed run never leaves a half-written file under `path`.
void write_file(const std::string& path, const File& source, const std::vector<TensorOut>& tensors);

float f16_to_f32(uint16_t h);
uint16_t f32_to_f16(float f);
float bf16_to_f32(uint16_t h);
uint16_t f32_to_bf16(float f);
const char* type_name(uint32_t type);

}  // namespace gguf
