// Model I/O: gpt-oss hyperparameters and weights from GGUF, checkpoints back to GGUF.
#pragma once

#include <cmath>
#include <string>
#include <vector>

#include "gguf.h"
#include "gpt_oss.h"

namespace gptoss {

// Ranges the trainer accepts (gpt-oss-120b: 2880 / 36 / 64 / 8 / 64 / 128 / 2880 / 201,088 / 131,072).
constexpr uint64_t kMaxEmbd = 65536, kMaxLayers = 1024, kMaxHeads = 1024, kMaxHeadDim = 4096, kMaxExperts = 4096;
constexpr uint64_t kMaxFf = 1u << 20, kMaxVocab = 1u << 24, kMaxContext = 1u << 24;

// Reads the gpt-oss.* keys the way llama.cpp does (llama-model.cpp, llama-context.cpp).
inline Config read_config(const gguf::File& f, bool rope_truncate) {
    const std::string arch = f.get_string("general.architecture");
    if (arch != "gpt-oss")
        throw gguf::Error(f.path() + ": architecture is \"" + arch + "\"; the trainer trains gpt-oss models only");
    auto key = [&](const char* k) { return arch + "." + k; };
    // Every count is read as a 64-bit value and range-checked before it becomes an int: a value
    // that does not fit (4294967360 read as 64) or a zero divisor (head_count_kv 0) is refused.
    auto count = [&](const char* k, uint64_t lo, uint64_t hi) {
        const uint64_t v = f.get_uint(key(k));
        if (v < lo || v > hi)
            throw gguf::Error(f.path() + ": metadata " + key(k) + " = " + std::to_string(v) + " is outside " + std::to_string(lo) + ".." +
                              std::to_string(hi) + "; the file is corrupt or not a gpt-oss model");
        return (int)v;
    };
    Config c;
    c.n_embd = count("embedding_length", 1, kMaxEmbd);
    c.n_layer = count("block_count", 1, kMaxLayers);
    c.n_head = count("attention.head_count", 1, kMaxHeads);
    c.n_head_kv = count("attention.head_count_kv", 1, kMaxHeads);
    if (c.n_head % c.n_head_kv != 0)
        throw gguf::Error(f.path() + ": head_count " + std::to_string(c.n_head) + " is not a multiple of head_count_kv " + std::to_string(c.n_head_kv));
    c.head_dim = f.has_key(key("attention.key_length")) ? count("attention.key_length", 2, kMaxHeadDim) : c.n_embd / c.n_head;
    if (c.head_dim < 2 || c.head_dim % 2 != 0)
        throw gguf::Error(f.path() + ": head dimension " + std::to_string(c.head_dim) + " must be even and at least 2 (RoPE rotates pairs)");
    c.n_expert = count("expert_count", 1, kMaxExperts);
    c.n_expert_used = count("expert_used_count", 1, 64);
    c.n_ff = count("expert_feed_forward_length", 1, kMaxFf);
    c.n_swa = count("attention.sliding_window", 1, kMaxContext);
    if (f.has_key(key("attention.sliding_window_pattern"))) c.swa_period = count("attention.sliding_window_pattern", 0, kMaxLayers);
    c.rms_eps = f.get_float(key("attention.layer_norm_rms_epsilon"));
    c.rope_base = f.has_key(key("rope.freq_base")) ? f.get_float(key("rope.freq_base")) : 10000.0;
    c.rope_base_swa = f.has_key(key("rope.freq_base_swa")) ? f.get_float(key("rope.freq_base_swa")) : c.rope_base;
    const int n_ctx_train = count("context_length", 1, kMaxContext);
    c.rope_n_ctx_orig = f.has_key(key("rope.scaling.original_context_length")) ? count("rope.scaling.original_context_length", 1, kMaxContext) : n_ctx_train;
    const std::string scaling = f.has_key(key("rope.scaling.type")) ? f.get_string(key("rope.scaling.type")) : "linear";
    const double factor = f.has_key(key("rope.scaling.factor")) ? f.get_float(key("rope.scaling.factor")) : 0.0;
    c.rope_freq_scale = (scaling == "none" || factor == 0.0) ? 1.0 : 1.0 / factor;
    c.yarn_ext_factor = scaling == "yarn" ? 1.0 : 0.0;
    if (f.has_key(key("rope.scaling.yarn_beta_fast"))) c.yarn_beta_fast = f.get_float(key("rope.scaling.yarn_beta_fast"));
    if (f.has_key(key("rope.scaling.yarn_beta_slow"))) c.yarn_beta_slow = f.get_float(key("rope.scaling.yarn_beta_slow"));
    // llama-context.cpp: attn_factor = get_mscale(factor) / (1 + 0.1 ln factor) * rope.scaling.attn_factor;
    // ggml's rope then multiplies by (1 + 0.1 ln(1 / freq_scale)) again when ext_factor != 0.
    double attn = 1.0;
    if (c.yarn_ext_factor != 0) {
        const float fac = (float)(1.0 / c.rope_freq_scale);
        const float mscale = fac <= 1.0f ? 1.0f : 0.1f * logf(fac) + 1.0f;
        attn = mscale * (1.0f / (1.0f + 0.1f * logf(fac)));
    }
    if (f.has_key(key("rope.scaling.attn_factor"))) attn *= f.get_float(key("rope.scaling.attn_factor"));
    c.yarn_attn_factor = attn;
    if (f.has_key(key("expert_weights_scale"))) {
        const double s = f.get_float(key("expert_weights_scale"));
        c.expert_weights_scale = s == 0.0 ? 1.0 : s;
    }
    c.rope_truncate = rope_truncate;
    for (double v : {c.rms_eps, c.rope_base, c.rope_base_swa, c.rope_freq_scale, c.yarn_attn_factor, c.expert_weights_scale})
        if (!std::isfinite(v) || v <= 0) throw gguf::Error(f.path() + ": a rope/norm/scale value is not a positive finite number; the file is corrupt");
    const gguf::TensorInfo* emb = f.find_tensor("token_embd.weight");
    if (!emb || emb->dims.size() != 2) throw gguf::Error(f.path() + ": missing token_embd.weight");
    if (emb->dims[1] > kMaxVocab) throw gguf::Error(f.path() + ": token_embd.weight has " + std::to_string(emb->dims[1]) + " rows, more than " + std::to_string(kMaxVocab));
    c.n_vocab = (int)emb->dims[1];
    if (c.n_expert_used > c.n_expert) throw gguf::Error(f.path() + ": expert_used_count " + std::to_string(c.n_expert_used) + " exceeds expert_count " + std::to_string(c.n_expert));
    return c;
}

// Every tensor the architecture needs has exactly the shape the hyperparameters give it (checked
// before anything is allocated: the file's own sizes then bound the allocation).
inline void check_shapes(const gguf::File& f, const Layout& layout) {
    for (const TensorSpec& t : layout.tensors) {
        const gguf::TensorInfo* info = f.find_tensor(t.name);
        if (!info) throw gguf::Error(f.path() + ": missing tensor " + t.name + "; is this a gpt-oss GGUF?");
        if (info->dims != t.dims) {
            auto shape = [](const std::vector<uint64_t>& d) {
                std::string s = "[";
                for (size_t i = 0; i < d.size(); i++) s += (i ? ", " : "") + std::to_string(d[i]);
                return s + "]";
            };
            throw gguf::Error(f.path() + ": tensor " + t.name + " has shape " + shape(info->dims) + ", the hyperparameters need " + shape(t.dims));
        }
    }
}

template <typename T>
void load_model(Model<T>& m, const gguf::File& f, bool rope_truncate) {
    m.cfg = read_config(f, rope_truncate);
    m.layout = make_layout(m.cfg);
    check_shapes(f, m.layout);
    m.params.assign(m.layout.total, T(0));
    for (const TensorSpec& t : m.layout.tensors) f.read_tensor(t.name, m.params.data() + t.offset, t.size);
}

// Writes params as a GGUF with the source's metadata; each tensor keeps its source type unless
// all_f32 (then everything is F32, which is what exact oracle comparisons use).
inline void save_model(const std::string& path, const Model<float>& m, const gguf::File& source, bool all_f32) {
    std::vector<gguf::TensorOut> out;
    for (const TensorSpec& t : m.layout.tensors) {
        const gguf::TensorInfo* src = source.find_tensor(t.name);
        gguf::TensorType type = (all_f32 || !src) ? gguf::F32 : src->type;
        out.push_back({t.name, t.dims, type, m.params.data() + t.offset});
    }
    gguf::write_file(path, source, out);
}

}  // namespace gptoss
