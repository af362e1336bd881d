// Model I/O: gpt-oss hyperparameters and weights from GGUF, checkpoints back to GGUF.
#pragma once

#include <string>
#include <vector>

#include "gguf.h"
#include "gpt_oss.h"

namespace gptoss {

// Reads the gpt-oss.* keys the way llama.cpp does (llama-model.cpp, llama-context.cpp).
inline Config read_config(const gguf::File& f, bool rope_truncate) {
    const std::string arch = f.get_string("general.architecture");
    if (arch != "gpt-oss")
        throw gguf::Error(f.path() + ": architecture is \"" + arch + "\"; the trainer trains gpt-oss models only");
    auto key = [&](const char* k) { return arch + "." + k; };
    Config c;
    c.n_embd = (int)f.get_uint(key("embedding_length"));
    c.n_layer = (int)f.get_uint(key("block_count"));
    c.n_head = (int)f.get_uint(key("attention.head_count"));
    c.n_head_kv = (int)f.get_uint(key("attention.head_count_kv"));
    c.head_dim = f.has_key(key("attention.key_length")) ? (int)f.get_uint(key("attention.key_length")) : c.n_embd / c.n_head;
    c.n_expert = (int)f.get_uint(key("expert_count"));
    c.n_expert_used = (int)f.get_uint(key("expert_used_count"));
    c.n_ff = (int)f.get_uint(key("expert_feed_forward_length"));
    c.n_swa = (int)f.get_uint(key("attention.sliding_window"));
    if (f.has_key(key("attention.sliding_window_pattern"))) c.swa_period = (int)f.get_uint(key("attention.sliding_window_pattern"));
    c.rms_eps = f.get_float(key("attention.layer_norm_rms_epsilon"));
    c.rope_base = f.has_key(key("rope.freq_base")) ? f.get_float(key("rope.freq_base")) : 10000.0;
    c.rope_base_swa = f.has_key(key("rope.freq_base_swa")) ? f.get_float(key("rope.freq_base_swa")) : c.rope_base;
    const uint64_t n_ctx_train = f.get_uint(key("context_length"));
    c.rope_n_ctx_orig = (int)(f.has_key(key("rope.scaling.original_context_length"))
                                  ? f.get_uint(key("rope.scaling.original_context_length")) : n_ctx_train);
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
    const gguf::TensorInfo* emb = f.find_tensor("token_embd.weight");
    if (!emb || emb->dims.size() != 2) throw gguf::Error(f.path() + ": missing token_embd.weight");
    c.n_vocab = (int)emb->dims[1];
    if (c.n_expert_used > 64 || c.n_expert_used > c.n_expert) throw gguf::Error(f.path() + ": expert_used_count out of range");
    if (c.n_head % c.n_head_kv != 0) throw gguf::Error(f.path() + ": head_count must be a multiple of head_count_kv");
    return c;
}

template <typename T>
void load_model(Model<T>& m, const gguf::File& f, bool rope_truncate) {
    m.cfg = read_config(f, rope_truncate);
    m.layout = make_layout(m.cfg);
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
