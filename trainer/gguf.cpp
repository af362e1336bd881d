#include "gguf.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <cstring>

namespace gguf {

static const uint32_t kMagic = 0x46554747;  // "GGUF" read as a little-endian u32
static const uint64_t kMaxDims = 4;

uint64_t TensorInfo::elements() const {
    uint64_t n = 1;
    for (uint64_t d : dims) n *= d;
    return n;
}

uint64_t TensorInfo::bytes() const {
    return elements() * (type == F32 ? 4 : 2);
}

const char* type_name(uint32_t type) {
    switch (type) {
        case F32: return "F32";
        case F16: return "F16";
        case BF16: return "BF16";
        default: return "a quantized or unknown type";
    }
}

// ---- half-precision conversions (IEEE binary16 and bfloat16, round to nearest even) ----

namespace {
// The bit patterns of a float and back (memcpy is the defined way to type-pun in C++17).
float float_from_bits(uint32_t bits) {
    float f;
    std::memcpy(&f, &bits, 4);
    return f;
}

uint32_t float_bits(float f) {
    uint32_t x;
    std::memcpy(&x, &f, 4);
    return x;
}
}  // namespace

float f16_to_f32(uint16_t h) {
    uint32_t sign = (uint32_t)(h & 0x8000) << 16;
    uint32_t exp = (h >> 10) & 0x1f;
    uint32_t mant = h & 0x3ff;
    uint32_t bits;
    if (exp == 0) {
        if (mant == 0) {
            bits = sign;
        } else {  // subnormal: renormalize
            int e = -1;
            do { mant <<= 1; e++; } while ((mant & 0x400) == 0);
            bits = sign | ((uint32_t)(127 - 15 - e) << 23) | ((mant & 0x3ff) << 13);
        }
    } else if (exp == 31) {
        bits = sign | 0x7f800000 | (mant << 13);
    } else {
        bits = sign | ((exp + 127 - 15) << 23) | (mant << 13);
    }
    return float_from_bits(bits);
}

uint16_t f32_to_f16(float f) {
    uint32_t x = float_bits(f);
    uint32_t sign = (x >> 16) & 0x8000;
    uint32_t absx = x & 0x7fffffff;
    if (absx >= 0x7f800000) return (uint16_t)(sign | 0x7c00 | (absx > 0x7f800000 ? 0x200 : 0));
    if (absx >= 0x477ff000) return (uint16_t)(sign | 0x7c00);  // rounds to infinity
    if (absx < 0x38800000) {                                    // subnormal or zero in f16
        return (uint16_t)(sign | (uint32_t)std::nearbyint(float_from_bits(absx) * 16777216.0f));  // |f| / 2^-24
    }
    uint32_t mant = absx & 0x7fffff;
    uint32_t exp = (absx >> 23) - 127 + 15;
    uint32_t h = (exp << 10) | (mant >> 13);
    uint32_t rest = mant & 0x1fff;
    if (rest > 0x1000 || (rest == 0x1000 && (h & 1))) h++;
    return (uint16_t)(sign | h);
}

float bf16_to_f32(uint16_t h) {
    return float_from_bits((uint32_t)h << 16);
}

uint16_t f32_to_bf16(float f) {
    uint32_t x = float_bits(f);
    if ((x & 0x7fffffff) > 0x7f800000) return (uint16_t)((x >> 16) | 64);  // quiet NaN
    return (uint16_t)((x + (0x7fff + ((x >> 16) & 1))) >> 16);
}

// ---- reading ----

namespace {

// Bounds-checked little-endian cursor over the mapped file.
struct Cursor {
    const uint8_t* base;
    size_t size;
    size_t pos;
    const std::string& path;

    void need(size_t n) const {
        if (n > size || pos > size - n)
            throw Error(path + ": truncated GGUF (needs " + std::to_string(n) + " bytes at offset " +
                        std::to_string(pos) + ", file has " + std::to_string(size) +
                        "); the file is incomplete, copy or download it again");
    }
    template <typename T>
    T read() {
        need(sizeof(T));
        T v;
        std::memcpy(&v, base + pos, sizeof(T));
        pos += sizeof(T);
        return v;
    }
    std::string read_string() {
        uint64_t n = read<uint64_t>();
        need(n);
        std::string s((const char*)base + pos, n);
        pos += n;
        return s;
    }
};

size_t scalar_size(uint32_t type) {
    switch (type) {
        case U8: case I8: case BOOL: return 1;
        case U16: case I16: return 2;
        case U32: case I32: case F32V: return 4;
        case U64: case I64: case F64: return 8;
        default: return 0;
    }
}

void skip_value(Cursor& c, uint32_t type) {
    if (type == STRING) {
        c.read_string();
    } else if (type == ARRAY) {
        uint32_t elem = c.read<uint32_t>();
        uint64_t n = c.read<uint64_t>();
        if (elem == STRING) {
            for (uint64_t i = 0; i < n; i++) c.read_string();
        } else if (elem == ARRAY) {
            for (uint64_t i = 0; i < n; i++) skip_value(c, ARRAY);
        } else {
            size_t s = scalar_size(elem);
            if (s == 0) throw Error(c.path + ": unknown GGUF array element type " + std::to_string(elem));
            c.need(s * n);
            c.pos += s * n;
        }
    } else {
        size_t s = scalar_size(type);
        if (s == 0) throw Error(c.path + ": unknown GGUF value type " + std::to_string(type));
        c.need(s);
        c.pos += s;
    }
}

}  // namespace

File::File(const std::string& path) : path_(path) {
    int fd = ::open(path.c_str(), O_RDONLY);
    if (fd < 0) throw Error(path + ": cannot open (" + std::strerror(errno) + ")");
    struct stat st;
    if (fstat(fd, &st) != 0 || st.st_size < 24) {
        ::close(fd);
        throw Error(path + ": too small to be a GGUF file (needs at least a 24-byte header)");
    }
    size_ = (size_t)st.st_size;
    void* m = mmap(nullptr, size_, PROT_READ, MAP_PRIVATE, fd, 0);
    ::close(fd);
    if (m == MAP_FAILED) throw Error(path + ": mmap failed (" + std::strerror(errno) + ")");
    map_ = (uint8_t*)m;

    Cursor c{map_, size_, 0, path_};
    uint32_t magic = c.read<uint32_t>();
    if (magic != kMagic) {
        char got[5] = {0};
        std::memcpy(got, map_, 4);
        throw Error(path + ": not a GGUF file (magic \"" + std::string(got, 4) +
                    "\", expected \"GGUF\"); pass a .gguf model such as the one `datagen model smoke` writes");
    }
    version_ = c.read<uint32_t>();
    if (version_ < 2 || version_ > 3)
        throw Error(path + ": GGUF version " + std::to_string(version_) +
                    " is not supported (expected 3; version 2 is read too); re-convert the model with a current llama.cpp");
    uint64_t n_tensors = c.read<uint64_t>();
    uint64_t n_kv = c.read<uint64_t>();
    if (n_tensors > (1u << 24) || n_kv > (1u << 24)) throw Error(path + ": implausible tensor/key counts; the file is corrupt");

    for (uint64_t i = 0; i < n_kv; i++) {
        KeyValue kv;
        kv.key = c.read_string();
        kv.type = (ValueType)c.read<uint32_t>();
        size_t start = c.pos;
        skip_value(c, kv.type);
        kv.raw = map_ + start;
        kv.raw_size = c.pos - start;
        kvs_.push_back(kv);
    }
    if (has_key("general.alignment")) alignment_ = get_uint("general.alignment");
    if (alignment_ == 0 || (alignment_ & (alignment_ - 1)) != 0) throw Error(path + ": general.alignment must be a power of two");

    for (uint64_t i = 0; i < n_tensors; i++) {
        TensorInfo t;
        t.name = c.read_string();
        uint32_t n_dims = c.read<uint32_t>();
        if (n_dims == 0 || n_dims > kMaxDims) throw Error(path + ": tensor " + t.name + " has " + std::to_string(n_dims) + " dims");
        // Every dimension at least 1 and the element count below 2^48: a zero or a product that wraps
        // around 64 bits would pass the size check below with a tensor the model cannot use.
        uint64_t elements = 1;
        for (uint32_t d = 0; d < n_dims; d++) {
            const uint64_t dim = c.read<uint64_t>();
            if (dim == 0 || dim > (1ull << 48) / elements)
                throw Error(path + ": tensor " + t.name + " has dimension " + std::to_string(d) + " = " + std::to_string(dim) +
                            " (each must be >= 1 and the element count below 2^48); the file is corrupt");
            elements *= dim;
            t.dims.push_back(dim);
        }
        t.type = (TensorType)c.read<uint32_t>();
        t.offset = c.read<uint64_t>();
        tensors_.push_back(t);
    }
    data_start_ = (c.pos + alignment_ - 1) / alignment_ * alignment_;
    for (const TensorInfo& t : tensors_) {
        bool supported = t.type == F32 || t.type == F16 || t.type == BF16;
        if (supported && data_start_ + t.offset + t.bytes() > size_)
            throw Error(path + ": tensor " + t.name + " extends past the end of the file; the file is truncated");
    }
}

File::~File() {
    if (map_) munmap(map_, size_);
}

const TensorInfo* File::find_tensor(const std::string& name) const {
    for (const TensorInfo& t : tensors_)
        if (t.name == name) return &t;
    return nullptr;
}

const KeyValue* File::find_key(const std::string& key) const {
    for (const KeyValue& kv : kvs_)
        if (kv.key == key) return &kv;
    return nullptr;
}

static const KeyValue& require(const File& f, const std::string& key) {
    const KeyValue* kv = f.find_key(key);
    if (!kv) throw Error(f.path() + ": missing metadata key " + key + "; is this a gpt-oss GGUF?");
    return *kv;
}

uint64_t File::get_uint(const std::string& key) const {
    const KeyValue& kv = require(*this, key);
    const uint8_t* p = kv.raw;
    switch (kv.type) {
        case U8: return p[0];
        case BOOL: return p[0];
        case I8: return (uint64_t)(int8_t)p[0];
        case U16: { uint16_t v; std::memcpy(&v, p, 2); return v; }
        case I16: { int16_t v; std::memcpy(&v, p, 2); return (uint64_t)v; }
        case U32: { uint32_t v; std::memcpy(&v, p, 4); return v; }
        case I32: { int32_t v; std::memcpy(&v, p, 4); if (v < 0) break; return (uint64_t)v; }
        case U64: { uint64_t v; std::memcpy(&v, p, 8); return v; }
        case I64: { int64_t v; std::memcpy(&v, p, 8); if (v < 0) break; return (uint64_t)v; }
        default: break;
    }
    throw Error(path_ + ": metadata " + key + " is not a non-negative integer");
}

double File::get_float(const std::string& key) const {
    const KeyValue& kv = require(*this, key);
    if (kv.type == F32V) { float v; std::memcpy(&v, kv.raw, 4); return v; }
    if (kv.type == F64) { double v; std::memcpy(&v, kv.raw, 8); return v; }
    return (double)get_uint(key);
}

std::string File::get_string(const std::string& key) const {
    const KeyValue& kv = require(*this, key);
    if (kv.type != STRING) throw Error(path_ + ": metadata " + key + " is not a string");
    uint64_t n;
    std::memcpy(&n, kv.raw, 8);
    return std::string((const char*)kv.raw + 8, n);
}

uint64_t File::array_length(const std::string& key) const {
    const KeyValue& kv = require(*this, key);
    if (kv.type != ARRAY) throw Error(path_ + ": metadata " + key + " is not an array");
    uint64_t n;
    std::memcpy(&n, kv.raw + 4, 8);
    return n;
}

template <typename T>
void File::read_tensor(const std::string& name, T* out, uint64_t expected) const {
    const TensorInfo* t = find_tensor(name);
    if (!t) throw Error(path_ + ": missing tensor " + name + "; is this a gpt-oss GGUF?");
    if (t->elements() != expected)
        throw Error(path_ + ": tensor " + name + " has " + std::to_string(t->elements()) + " elements, the model's " +
                    "hyperparameters need " + std::to_string(expected));
    const uint8_t* src = map_ + data_start_ + t->offset;
    uint64_t n = t->elements();
    switch (t->type) {
        case F32:
            for (uint64_t i = 0; i < n; i++) { float v; std::memcpy(&v, src + 4 * i, 4); out[i] = (T)v; }
            break;
        case F16:
            for (uint64_t i = 0; i < n; i++) { uint16_t v; std::memcpy(&v, src + 2 * i, 2); out[i] = (T)f16_to_f32(v); }
            break;
        case BF16:
            for (uint64_t i = 0; i < n; i++) { uint16_t v; std::memcpy(&v, src + 2 * i, 2); out[i] = (T)bf16_to_f32(v); }
            break;
        default:
            throw Error(path_ + ": tensor " + name + " is " + type_name(t->type) +
                        "; the trainer reads F32, F16 and BF16 weights only (dequantize the model first)");
    }
}

template void File::read_tensor<float>(const std::string&, float*, uint64_t) const;
template void File::read_tensor<double>(const std::string&, double*, uint64_t) const;

// ---- writing ----

namespace {

struct Writer {
    FILE* f;
    const std::string& path;
    uint64_t written = 0;
    void bytes(const void* p, size_t n) {
        if (n && fwrite(p, 1, n, f) != n) throw Error(path + ": write failed (disk full?)");
        written += n;
    }
    template <typename T>
    void put(T v) { bytes(&v, sizeof(T)); }
    void string(const std::string& s) { put<uint64_t>(s.size()); bytes(s.data(), s.size()); }
    void pad_to(uint64_t alignment) {
        static const uint8_t zeros[64] = {0};
        while (written % alignment) bytes(zeros, std::min<uint64_t>(64, alignment - written % alignment));
    }
};

}  // namespace

void write_file(const std::string& path, const File& source, const std::vector<TensorOut>& tensors) {
    std::string tmp = path + ".tmp";
    FILE* f = std::fopen(tmp.c_str(), "wb");
    if (!f) throw Error(tmp + ": cannot create (" + std::strerror(errno) + ")");
    uint64_t alignment = source.has_key("general.alignment") ? source.get_uint("general.alignment") : 32;
    try {
        Writer w{f, tmp};
        w.put<uint32_t>(kMagic);
        w.put<uint32_t>(3);
        w.put<uint64_t>(tensors.size());
        w.put<uint64_t>(source.metadata().size());
        for (const KeyValue& kv : source.metadata()) {
            w.string(kv.key);
            w.put<uint32_t>(kv.type);
            w.bytes(kv.raw, kv.raw_size);
        }
        uint64_t offset = 0;
        std::vector<uint64_t> offsets;
        for (const TensorOut& t : tensors) {
            TensorInfo info{t.name, t.dims, t.type, 0};
            offsets.push_back(offset);
            w.string(t.name);
            w.put<uint32_t>((uint32_t)t.dims.size());
            for (uint64_t d : t.dims) w.put<uint64_t>(d);
            w.put<uint32_t>(t.type);
            w.put<uint64_t>(offset);
            offset += (info.bytes() + alignment - 1) / alignment * alignment;
        }
        w.pad_to(alignment);
        std::vector<uint8_t> buf;
        for (const TensorOut& t : tensors) {
            TensorInfo info{t.name, t.dims, t.type, 0};
            uint64_t n = info.elements();
            buf.resize(info.bytes());
            for (uint64_t i = 0; i < n; i++) {
                if (t.type == F32) {
                    std::memcpy(&buf[4 * i], &t.data[i], 4);
                } else {
                    uint16_t h = t.type == F16 ? f32_to_f16(t.data[i]) : f32_to_bf16(t.data[i]);
                    std::memcpy(&buf[2 * i], &h, 2);
                }
            }
            w.bytes(buf.data(), buf.size());
            w.pad_to(alignment);
        }
        if (std::fflush(f) != 0 || fsync(fileno(f)) != 0) throw Error(tmp + ": flush failed");
    } catch (...) {
        std::fclose(f);
        std::remove(tmp.c_str());
        throw;
    }
    std::fclose(f);
    if (std::rename(tmp.c_str(), path.c_str()) != 0) throw Error(path + ": rename failed (" + std::strerror(errno) + ")");
}

}  // namespace gguf
