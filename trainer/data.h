// Packed dataset shards (docs/FORMAT.md), memory-mapped. For a shard prefix P (e.g. DIR/shard-00000):
//   P.tokens.u32       uint32 [samples, seq_len]
//   P.mask.u8          uint8  [samples, seq_len]
//   P.bounds.u32       uint32: per sample [0, s1, ..., e] (document starts, then the end of the last)
//   P.bounds_index.u64 uint64 [samples + 1]: offsets (in elements) into the bounds file
// Sizes are cross-checked on open; every error names the file and says what to do.
#pragma once

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "gpt_oss.h"

namespace gptoss {

// Bad input data: a stable reason code, the file it is in, and what to do (the CLI reports the code).
struct DataError : std::runtime_error {
    std::string code, file, detail;
    DataError(const std::string& code_, const std::string& file_, const std::string& message)
        : std::runtime_error(file_.empty() ? message : file_ + ": " + message), code(code_), file(file_), detail(message) {}
};

class MappedFile {
public:
    explicit MappedFile(const std::string& path) : path_(path) {
        int fd = ::open(path.c_str(), O_RDONLY);
        if (fd < 0) throw DataError("missing_shard_file", path, std::string("cannot open (") + std::strerror(errno) + "); is this a `datagen pack` output?");
        struct stat st;
        fstat(fd, &st);
        size_ = (size_t)st.st_size;
        if (size_ > 0) {
            void* m = mmap(nullptr, size_, PROT_READ, MAP_PRIVATE, fd, 0);
            if (m == MAP_FAILED) { ::close(fd); throw DataError("unreadable_file", path, "mmap failed"); }
            data_ = (const uint8_t*)m;
        }
        ::close(fd);
    }
    ~MappedFile() { if (data_) munmap((void*)data_, size_); }
    MappedFile(const MappedFile&) = delete;
    MappedFile& operator=(const MappedFile&) = delete;
    const uint8_t* data() const { return data_; }
    size_t size() const { return size_; }
    const std::string& path() const { return path_; }

private:
    std::string path_;
    const uint8_t* data_ = nullptr;
    size_t size_ = 0;
};

struct Shard {
    std::unique_ptr<MappedFile> tokens, mask, bounds, index;
    size_t samples = 0;
};

class PackedData {
public:
    PackedData(const std::vector<std::string>& prefixes, int seq_len, int n_vocab) : seq_len_(seq_len) {
        for (const std::string& p : prefixes) open_shard(p, n_vocab);
    }
    size_t samples() const { return total_; }
    int seq_len() const { return seq_len_; }

    // Sample i (over all shards in order), with its bounds checked.
    Sample sample(size_t i) const {
        size_t s = 0;
        while (i >= shards_[s].samples) i -= shards_[s++].samples;
        const Shard& sh = shards_[s];
        Sample out;
        out.tokens = (const uint32_t*)sh.tokens->data() + i * seq_len_;
        out.mask = sh.mask->data() + i * seq_len_;
        uint64_t b0, b1;
        std::memcpy(&b0, sh.index->data() + 8 * i, 8);
        std::memcpy(&b1, sh.index->data() + 8 * (i + 1), 8);
        const size_t n_bounds = sh.bounds->size() / 4;
        if (b1 < b0 + 1 || b1 > n_bounds)
            throw DataError("bad_bounds", sh.index->path(), "sample " + std::to_string(i) + " has bounds [" + std::to_string(b0) + ", " +
                            std::to_string(b1) + ") outside the bounds file; run `dataset verify`");
        out.bounds.resize(b1 - b0);
        std::memcpy(out.bounds.data(), sh.bounds->data() + 4 * b0, 4 * (b1 - b0));
        for (size_t k = 0; k < out.bounds.size(); k++) {
            const bool monotone = k == 0 ? out.bounds[0] == 0 : out.bounds[k] > out.bounds[k - 1];
            if (!monotone || out.bounds[k] > (uint32_t)seq_len_)
                throw DataError("bad_bounds", sh.bounds->path(), "sample " + std::to_string(i) +
                                " has bounds that are not [0, increasing, <= seq_len]; run `dataset verify`");
        }
        return out;
    }

    // Number of supervised targets of sample i.
    int64_t targets(size_t i) const {
        Sample s = sample(i);
        int64_t n = 0;
        const uint32_t end = s.bounds.back();
        for (uint32_t t = 1; t < end; t++) n += s.mask[t] != 0;
        return n;
    }

private:
    void open_shard(const std::string& prefix, int n_vocab) {
        Shard sh;
        sh.tokens.reset(new MappedFile(prefix + ".tokens.u32"));
        sh.mask.reset(new MappedFile(prefix + ".mask.u8"));
        sh.bounds.reset(new MappedFile(prefix + ".bounds.u32"));
        sh.index.reset(new MappedFile(prefix + ".bounds_index.u64"));
        const size_t row = (size_t)seq_len_;
        if (sh.tokens->size() % (4 * row) != 0)
            throw DataError("shard_size_mismatch", sh.tokens->path(), "size " + std::to_string(sh.tokens->size()) + " is not a multiple of 4 x seq_len (" +
                            std::to_string(seq_len_) + "); is --seq-len the manifest's?");
        sh.samples = sh.tokens->size() / (4 * row);
        if (sh.mask->size() != sh.samples * row)
            throw DataError("shard_size_mismatch", sh.mask->path(), "expected " + std::to_string(sh.samples * row) + " bytes (samples x seq_len)");
        if (sh.index->size() != 8 * (sh.samples + 1))
            throw DataError("shard_size_mismatch", sh.index->path(), "expected " + std::to_string(sh.samples + 1) + " offsets (samples + 1)");
        const uint32_t* tok = (const uint32_t*)sh.tokens->data();
        for (size_t i = 0; i < sh.samples * row; i++)
            if (tok[i] >= (uint32_t)n_vocab)
                throw DataError("token_out_of_vocab", sh.tokens->path(), "token id " + std::to_string(tok[i]) + " at offset " + std::to_string(4 * i) +
                                " is not below the model's vocabulary size " + std::to_string(n_vocab));
        total_ += sh.samples;
        shards_.push_back(std::move(sh));
    }

    int seq_len_;
    size_t total_ = 0;
    std::vector<Shard> shards_;
};

}  // namespace gptoss
