// gpt-oss forward and backward on the CPU: the readable reference, which is the trainer's spec.
//
// One packed sample holds several documents back to back; attention is block-causal (a token sees
// only earlier tokens of its own document) and positions restart at 0 per document. Every op below
// matches llama.cpp's gpt-oss graph (src/models/openai-moe.cpp and the ggml CPU ops):
//
//   x = token_embd[tokens]
//   per layer l:
//     h  = rmsnorm(x) * attn_norm
//     q, k, v = h Wq + bq, h Wk + bk, h Wv + bv;  q, k = rope_yarn_neox(q, k, position)
//     o  = softmax_with_sink(q k^T / sqrt(head_dim), block-causal, window 128 on even layers) v
//     x  = x + o Wo + bo
//     h2 = rmsnorm(x) * post_attention_norm
//     r  = h2 Wr + br;  top-k of r;  w = softmax over the k selected logits
//     x  = x + sum_e w_e * (swiglu_oai(h2 Wg_e + bg_e, h2 Wu_e + bu_e) Wd_e + bd_e)
//   logits = (rmsnorm(x) * output_norm) Wout
//
// Matrices are stored as GGUF stores them: a [rows][cols] row-major array whose ggml dims are
// {cols, rows}; y = W x means y[r] = sum_c W[r][c] x[c]. Templated on the scalar type: float for
// training, double for finite-difference gradient checks.
#pragma once

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <string>
#include <type_traits>
#include <vector>

#include "head_fast.h"

#ifdef _OPENMP
#include <omp.h>
#endif

namespace gptoss {

// ---------------------------------------------------------------------------------------------
// Hyperparameters (read from the GGUF's gpt-oss.* keys; see load.h)

struct Config {
    int n_vocab = 0, n_embd = 0, n_layer = 0;
    int n_head = 0, n_head_kv = 0, head_dim = 0;
    int n_expert = 0, n_expert_used = 0, n_ff = 0;
    int n_swa = 128;             // sliding window (a query sees keys with pos_q - pos_k < n_swa)
    int swa_period = 2;          // llama.cpp: layer il is sliding iff il % period < period - 1
    double rms_eps = 1e-5;
    double rope_base = 150000, rope_base_swa = 150000;
    double rope_freq_scale = 1;  // 1 / YaRN factor
    int rope_n_ctx_orig = 4096;
    double yarn_ext_factor = 0;  // 1 when the scaling type is yarn
    double yarn_attn_factor = 1; // llama.cpp's cparams.yarn_attn_factor (before ggml's mscale)
    double yarn_beta_fast = 32, yarn_beta_slow = 1;
    bool rope_truncate = true;   // llama.cpp floors/ceils the correction range; HF/OpenAI do not
    double swiglu_alpha = 1.702, swiglu_limit = 7.0;
    double expert_weights_scale = 1;

    bool is_swa(int layer) const { return swa_period == 0 || layer % swa_period < swa_period - 1; }
    int q_dim() const { return n_head * head_dim; }
    int kv_dim() const { return n_head_kv * head_dim; }
};

// ---------------------------------------------------------------------------------------------
// Parameters: one flat array; each tensor is a named slice with its GGUF name and dims.

struct TensorSpec {
    std::string name;
    std::vector<uint64_t> dims;  // ggml order (dims[0] contiguous)
    size_t offset = 0, size = 0;
    bool weight_decay = true;    // embeddings and norms are exempt (model card recipe)
};

struct LayerOffsets {
    size_t attn_norm, wq, bq, wk, bk, wv, bv, wo, bo, sinks, post_norm;
    size_t router_w, router_b, gate_w, gate_b, up_w, up_b, down_w, down_b;
};

struct Layout {
    std::vector<TensorSpec> tensors;
    size_t token_embd = 0, output_norm = 0, output = 0;
    std::vector<LayerOffsets> layers;
    size_t total = 0;

    size_t add(const std::string& name, std::vector<uint64_t> dims, bool decay) {
        TensorSpec t;
        t.name = name;
        t.dims = dims;
        t.offset = total;
        t.size = 1;
        for (uint64_t d : dims) t.size *= d;
        t.weight_decay = decay;
        total += t.size;
        tensors.push_back(t);
        return t.offset;
    }
};

inline Layout make_layout(const Config& c) {
    typedef uint64_t u;
    Layout L;
    const u E = c.n_embd, Q = c.q_dim(), KV = c.kv_dim(), X = c.n_expert, F = c.n_ff;
    L.token_embd = L.add("token_embd.weight", {E, (u)c.n_vocab}, false);
    for (int l = 0; l < c.n_layer; l++) {
        std::string p = "blk." + std::to_string(l) + ".";
        LayerOffsets o;
        o.attn_norm = L.add(p + "attn_norm.weight", {E}, false);
        o.wq = L.add(p + "attn_q.weight", {E, Q}, true);
        o.bq = L.add(p + "attn_q.bias", {Q}, true);
        o.wk = L.add(p + "attn_k.weight", {E, KV}, true);
        o.bk = L.add(p + "attn_k.bias", {KV}, true);
        o.wv = L.add(p + "attn_v.weight", {E, KV}, true);
        o.bv = L.add(p + "attn_v.bias", {KV}, true);
        o.wo = L.add(p + "attn_output.weight", {Q, E}, true);
        o.bo = L.add(p + "attn_output.bias", {E}, true);
        o.sinks = L.add(p + "attn_sinks.weight", {(u)c.n_head}, true);
        o.post_norm = L.add(p + "post_attention_norm.weight", {E}, false);
        o.router_w = L.add(p + "ffn_gate_inp.weight", {E, X}, true);
        o.router_b = L.add(p + "ffn_gate_inp.bias", {X}, true);
        o.gate_w = L.add(p + "ffn_gate_exps.weight", {E, F, X}, true);
        o.gate_b = L.add(p + "ffn_gate_exps.bias", {F, X}, true);
        o.up_w = L.add(p + "ffn_up_exps.weight", {E, F, X}, true);
        o.up_b = L.add(p + "ffn_up_exps.bias", {F, X}, true);
        o.down_w = L.add(p + "ffn_down_exps.weight", {F, E, X}, true);
        o.down_b = L.add(p + "ffn_down_exps.bias", {E, X}, true);
        L.layers.push_back(o);
    }
    L.output_norm = L.add("output_norm.weight", {E}, false);
    L.output = L.add("output.weight", {E, (u)c.n_vocab}, true);
    return L;
}

// ---------------------------------------------------------------------------------------------
// A sample: tokens, loss mask and document bounds ([0, s1, ..., e]; positions e.. are padding
// and are not computed at all).

struct Sample {
    const uint32_t* tokens = nullptr;  // [seq_len]
    const uint8_t* mask = nullptr;     // [seq_len]; mask[t] = 1: token t is a target (predicted at t-1)
    const uint32_t* labels = nullptr;  // [seq_len] targets; null = the tokens themselves (tests set it
                                       // to show that labels under mask 0 have no effect)
    std::vector<uint32_t> bounds;      // document starts, then the end of the last document
};

// ---------------------------------------------------------------------------------------------
// Small kernels. Shapes in the comments: [N,I] is N rows of I values, row-major.

// sum_i a[i] b[i]; the simd reduction lets the compiler vectorize (it reorders the sum).
template <typename T>
inline T dot(const T* a, const T* b, int n) {
    T acc = 0;
#pragma omp simd reduction(+ : acc)
    for (int i = 0; i < n; i++) acc += a[i] * b[i];
    return acc;
}

// y[i] += alpha x[i]
template <typename T>
inline void axpy(T* y, T alpha, const T* x, int n) {
#pragma omp simd
    for (int i = 0; i < n; i++) y[i] += alpha * x[i];
}

// Tests set this to run every float op through the reference loops, to hold the fast paths
// (head_fast.h) to them.
inline bool g_reference_kernels = false;

// The fast paths are float only and need the inner dimension to be a multiple of 64.
template <typename T>
inline bool use_fast_kernels(int inner) {
    return std::is_same<T, float>::value && !g_reference_kernels && inner % 64 == 0;
}

// Rows go through the fast kernels in chunks, so their per-thread buffers stay [128, I].
static const int kFastRows = 128;

// out[N,O] = in[N,I] W[O,I]^T + b[O]  (b may be null)
template <typename T>
void matmul_forward(T* out, const T* in, const T* W, const T* b, int N, int I, int O) {
    if constexpr (std::is_same<T, float>::value) {
        if (use_fast_kernels<T>(I)) {
            for (int t0 = 0; t0 < N; t0 += kFastRows)
                fast::head_forward(out + (size_t)t0 * O, in + (size_t)t0 * I, W, std::min(kFastRows, N - t0), O, I);
            if (b)
#pragma omp parallel for schedule(static)
                for (int t = 0; t < N; t++)
                    for (int o = 0; o < O; o++) out[(size_t)t * O + o] += b[o];
            return;
        }
    }
#pragma omp parallel for schedule(static)
    for (int t = 0; t < N; t++) {
        const T* x = in + (size_t)t * I;
        for (int o = 0; o < O; o++) {
            out[(size_t)t * O + o] = (b ? b[o] : T(0)) + dot(W + (size_t)o * I, x, I);
        }
    }
}

// Given dout[N,O]: din[N,I] += dout W; dW[O,I] += dout^T in; db[O] += sum_t dout (db may be null).
template <typename T>
void matmul_backward(T* din, T* dW, T* db, const T* dout, const T* in, const T* W, int N, int I, int O) {
    if constexpr (std::is_same<T, float>::value) {
        if (use_fast_kernels<T>(I)) {
            for (int t0 = 0; t0 < N; t0 += kFastRows)
                fast::head_backward(din + (size_t)t0 * I, dW, dout + (size_t)t0 * O, in + (size_t)t0 * I, W,
                                    std::min(kFastRows, N - t0), O, I);
            if (db)
#pragma omp parallel for schedule(static)
                for (int o = 0; o < O; o++) {
                    T sum = 0;
                    for (int t = 0; t < N; t++) sum += dout[(size_t)t * O + o];
                    db[o] += sum;
                }
            return;
        }
    }
#pragma omp parallel for schedule(static)
    for (int t = 0; t < N; t++) {
        T* dx = din + (size_t)t * I;
        const T* dy = dout + (size_t)t * O;
        for (int o = 0; o < O; o++) {
            const T d = dy[o];
            if (d == T(0)) continue;
            axpy(dx, d, W + (size_t)o * I, I);
        }
    }
#pragma omp parallel for schedule(static)
    for (int o = 0; o < O; o++) {
        T* dw = dW + (size_t)o * I;
        T bsum = 0;
        for (int t = 0; t < N; t++) {
            const T d = dout[(size_t)t * O + o];
            if (d == T(0)) continue;
            bsum += d;
            axpy(dw, d, in + (size_t)t * I, I);
        }
        if (db) db[o] += bsum;
    }
}

// out[N,E] = in[N,E] / sqrt(mean(in^2) + eps) * w[E]; rstd[N] keeps 1/sqrt(...) for backward.
template <typename T>
void rmsnorm_forward(T* out, T* rstd, const T* in, const T* w, int N, int E, double eps) {
#pragma omp parallel for schedule(static)
    for (int t = 0; t < N; t++) {
        const T* x = in + (size_t)t * E;
        double ss = 0;  // ggml sums squares in double too
        for (int i = 0; i < E; i++) ss += (double)x[i] * x[i];
        const T r = T(1) / std::sqrt(T(ss / E) + T(eps));
        rstd[t] = r;
        for (int i = 0; i < E; i++) out[(size_t)t * E + i] = x[i] * r * w[i];
    }
}

// din[N,E] += d/din, dw[E] += d/dw of rmsnorm, given dout[N,E].
template <typename T>
void rmsnorm_backward(T* din, T* dw, const T* dout, const T* in, const T* w, const T* rstd, int N, int E) {
#pragma omp parallel for schedule(static)
    for (int t = 0; t < N; t++) {
        const T* x = in + (size_t)t * E;
        const T* dy = dout + (size_t)t * E;
        const T r = rstd[t];
        T dot = 0;  // sum_i dy_i w_i x_i
        for (int i = 0; i < E; i++) dot += dy[i] * w[i] * x[i];
        const T c = dot * r * r * r / T(E);
        for (int i = 0; i < E; i++) din[(size_t)t * E + i] += dy[i] * w[i] * r - x[i] * c;
    }
    for (int t = 0; t < N; t++)
        for (int i = 0; i < E; i++) dw[i] += dout[(size_t)t * E + i] * in[(size_t)t * E + i] * rstd[t];
}

// ---------------------------------------------------------------------------------------------
// YaRN RoPE, NeoX layout: dims i and i + head_dim/2 rotate together by theta_i(pos).

// ggml_rope_yarn_corr_dims (truncate = true) or the HF/OpenAI form (truncate = false).
inline void yarn_corr_dims(const Config& c, double base, double dims[2]) {
    const int n_dims = c.head_dim;
    auto corr_dim = [&](double n_rot) {
        return n_dims * std::log(c.rope_n_ctx_orig / (n_rot * 2 * M_PI)) / (2 * std::log(base));
    };
    double start = corr_dim(c.yarn_beta_fast), end = corr_dim(c.yarn_beta_slow);
    if (c.rope_truncate) {  // llama.cpp computes these in float; floor/ceil makes the result exact
        start = std::floor((float)(n_dims * logf(c.rope_n_ctx_orig / ((float)c.yarn_beta_fast * 2 * (float)M_PI)) / (2 * logf((float)base))));
        end = std::ceil((float)(n_dims * logf(c.rope_n_ctx_orig / ((float)c.yarn_beta_slow * 2 * (float)M_PI)) / (2 * logf((float)base))));
    }
    dims[0] = std::max(0.0, start);
    dims[1] = std::min((double)(n_dims - 1), end);
}

// Cos/sin table [max_pos, head_dim/2, 2] for one rope base, computed as ggml_rope_cache_init does
// (theta advanced by repeated multiplication in the scalar type).
template <typename T>
std::vector<T> rope_table(const Config& c, double base, int max_pos) {
    const int half = c.head_dim / 2;
    double corr[2];
    yarn_corr_dims(c, base, corr);
    const T freq_scale = (T)c.rope_freq_scale, ext = (T)c.yarn_ext_factor;
    const T theta_scale = std::pow((T)base, T(-2) / (T)c.head_dim);
    std::vector<T> table((size_t)max_pos * half * 2);
    for (int p = 0; p < max_pos; p++) {
        T theta_extrap = (T)p;
        for (int i = 0; i < half; i++) {
            T theta_interp = freq_scale * theta_extrap, theta = theta_interp;
            T mscale = (T)c.yarn_attn_factor;
            if (ext != T(0)) {
                T y = (T(i) - (T)corr[0]) / std::max(T(0.001), (T)corr[1] - (T)corr[0]);
                T ramp_mix = (T(1) - std::min(T(1), std::max(T(0), y))) * ext;
                theta = theta_interp * (T(1) - ramp_mix) + theta_extrap * ramp_mix;
                mscale *= T(1) + T(0.1) * std::log(T(1) / freq_scale);
            }
            table[((size_t)p * half + i) * 2 + 0] = std::cos(theta) * mscale;
            table[((size_t)p * half + i) * 2 + 1] = std::sin(theta) * mscale;
            theta_extrap *= theta_scale;
        }
    }
    return table;
}

// Rotates x[N, n_heads, head_dim] in place; inverse = true applies the transpose (for backward).
template <typename T>
void rope_apply(T* x, const int* pos, const std::vector<T>& table, int N, int n_heads, int head_dim, bool inverse) {
    const int half = head_dim / 2;
#pragma omp parallel for schedule(static)
    for (int t = 0; t < N; t++) {
        const T* cs = table.data() + (size_t)pos[t] * half * 2;
        for (int h = 0; h < n_heads; h++) {
            T* v = x + ((size_t)t * n_heads + h) * head_dim;
            for (int i = 0; i < half; i++) {
                const T c = cs[2 * i], s = inverse ? -cs[2 * i + 1] : cs[2 * i + 1];
                const T x0 = v[i], x1 = v[i + half];
                v[i] = x0 * c - x1 * s;
                v[i + half] = x0 * s + x1 * c;
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The clamped SwiGLU of gpt-oss, exactly as ggml_swiglu_oai:
//   x = min(gate, limit); y = clamp(up, -limit, limit); out = x * sigmoid(alpha x) * (y + 1)

template <typename T>
inline T swiglu_oai(T g, T u, T alpha, T limit) {
    const T x = std::min(g, limit), y = std::min(std::max(u, -limit), limit);
    return x / (T(1) + std::exp(-alpha * x)) * (y + T(1));
}

// d out / d gate and d out / d up.
template <typename T>
inline void swiglu_oai_grad(T g, T u, T alpha, T limit, T* dg, T* du) {
    const T x = std::min(g, limit), y = std::min(std::max(u, -limit), limit);
    const T sig = T(1) / (T(1) + std::exp(-alpha * x));
    *dg = g < limit ? (sig + x * alpha * sig * (T(1) - sig)) * (y + T(1)) : T(0);
    *du = (u > -limit && u < limit) ? x * sig : T(0);
}

// ---------------------------------------------------------------------------------------------
// Activations kept for the backward pass (N = real tokens of the sample).

template <typename T>
struct LayerActs {
    std::vector<T> x_in, h, rstd1, q, k, v, lse, o, x_mid, h2, rstd2, router;
    std::vector<int> sel;     // [N, K] selected experts
    std::vector<T> weight;    // [N, K] softmax over the selected router logits
    std::vector<T> g, u, act; // [N, K, F] gate and up pre-activations (biases in), swiglu output
    std::vector<T> y;         // [N, K, E] expert outputs (before weighting)
};

template <typename T>
struct Acts {
    int N = 0;
    std::vector<int> pos, doc_start, doc_end;  // [N]
    std::vector<LayerActs<T>> layers;
    std::vector<T> x_out, hf, rstdf;           // final residual, final norm output, its rstd
};

// Per-token document geometry from the bounds: positions restart at 0 per document.
template <typename T>
void set_geometry(Acts<T>& a, const std::vector<uint32_t>& bounds) {
    a.N = bounds.empty() ? 0 : (int)bounds.back();
    a.pos.assign(a.N, 0);
    a.doc_start.assign(a.N, 0);
    a.doc_end.assign(a.N, 0);
    for (size_t d = 0; d + 1 < bounds.size(); d++)
        for (uint32_t t = bounds[d]; t < bounds[d + 1]; t++) {
            a.pos[t] = (int)(t - bounds[d]);
            a.doc_start[t] = (int)bounds[d];
            a.doc_end[t] = (int)bounds[d + 1];
        }
}

// ---------------------------------------------------------------------------------------------
// Attention with sinks. q[N,H,D], k/v[N,KV,D]; query t (head h) sees keys j of its own document
// with j <= t and, on sliding layers, t - j < n_swa. The sink adds exp(sink_h) to the softmax
// denominator (ggml_soft_max_ext with sinks). Writes o[N,H,D] and lse[N,H] (log of the denominator).

template <typename T>
struct AttnShape {
    int N, H, KV, D;
    int window;  // 0 = full
    T scale;
    int first_key(const Acts<T>& a, int t) const {
        int lo = a.doc_start[t];
        return window ? std::max(lo, t - window + 1) : lo;
    }
    int last_query(const Acts<T>& a, int j) const {  // exclusive
        int hi = a.doc_end[j];
        return window ? std::min(hi, j + window) : hi;
    }
};

template <typename T>
void attention_forward(T* o, T* lse, const T* q, const T* k, const T* v, const T* sinks,
                       const Acts<T>& a, const AttnShape<T>& s) {
    const int group = s.H / s.KV, D = s.D;
#pragma omp parallel
    {
        std::vector<T> score;
#pragma omp for schedule(dynamic, 4)
        for (int t = 0; t < s.N; t++) {
            const int lo = s.first_key(a, t);
            score.resize(t - lo + 1);
            for (int h = 0; h < s.H; h++) {
                const T* qv = q + ((size_t)t * s.H + h) * D;
                const int kh = h / group;
                T m = sinks[h];
                for (int j = lo; j <= t; j++) {
                    score[j - lo] = dot(qv, k + ((size_t)j * s.KV + kh) * D, D) * s.scale;
                    m = std::max(m, score[j - lo]);
                }
                T sum = std::exp(sinks[h] - m);
                T* out = o + ((size_t)t * s.H + h) * D;
                std::fill(out, out + D, T(0));
                for (int j = lo; j <= t; j++) {
                    const T p = std::exp(score[j - lo] - m);
                    sum += p;
                    axpy(out, p, v + ((size_t)j * s.KV + kh) * D, D);
                }
                for (int i = 0; i < D; i++) out[i] /= sum;
                lse[(size_t)t * s.H + h] = m + std::log(sum);
            }
        }
    }
}

// Backward: with p_tj = exp(score_tj - lse_t) and Dt = do_t . o_t,
//   dscore_tj = p_tj (do_t . v_j - Dt),  dsink_h = -sum_t p_sink(t) Dt,
//   dq_t = scale sum_j dscore_tj k_j,  dk_j = scale sum_t dscore_tj q_t,  dv_j = sum_t p_tj do_t.
// dq is computed per query and dk/dv per key (recomputing p), so no two threads write one row.
template <typename T>
void attention_backward(T* dq, T* dk, T* dv, T* dsinks, const T* dout, const T* o, const T* lse,
                        const T* q, const T* k, const T* v, const T* sinks, const Acts<T>& a,
                        const AttnShape<T>& s) {
    const int group = s.H / s.KV, D = s.D;
    std::vector<T> Dt((size_t)s.N * s.H);
    for (size_t i = 0; i < Dt.size(); i++) {
        Dt[i] = dot(dout + i * D, o + i * D, D);
    }
#pragma omp parallel for schedule(dynamic, 4)
    for (int t = 0; t < s.N; t++) {
        const int lo = s.first_key(a, t);
        for (int h = 0; h < s.H; h++) {
            const size_t th = (size_t)t * s.H + h;
            const int kh = h / group;
            T* g = dq + th * D;
            for (int j = lo; j <= t; j++) {
                const T* kv = k + ((size_t)j * s.KV + kh) * D;
                const T p = std::exp(dot(q + th * D, kv, D) * s.scale - lse[th]);
                const T ds = p * (dot(dout + th * D, v + ((size_t)j * s.KV + kh) * D, D) - Dt[th]);
                axpy(g, s.scale * ds, kv, D);
            }
        }
    }
#pragma omp parallel for schedule(dynamic, 4)
    for (int j = 0; j < s.N; j++) {
        const int hi = s.last_query(a, j);
        for (int kh = 0; kh < s.KV; kh++) {
            const T* kv = k + ((size_t)j * s.KV + kh) * D;
            const T* vv = v + ((size_t)j * s.KV + kh) * D;
            T* gk = dk + ((size_t)j * s.KV + kh) * D;
            T* gv = dv + ((size_t)j * s.KV + kh) * D;
            for (int t = j; t < hi; t++)
                for (int h = kh * group; h < (kh + 1) * group; h++) {
                    const size_t th = (size_t)t * s.H + h;
                    const T p = std::exp(dot(q + th * D, kv, D) * s.scale - lse[th]);
                    const T ds = p * (dot(dout + th * D, vv, D) - Dt[th]);
                    axpy(gk, s.scale * ds, q + th * D, D);
                    axpy(gv, p, dout + th * D, D);
                }
        }
    }
    for (int t = 0; t < s.N; t++)
        for (int h = 0; h < s.H; h++) {
            const size_t th = (size_t)t * s.H + h;
            dsinks[h] -= std::exp(sinks[h] - lse[th]) * Dt[th];
        }
}

// ---------------------------------------------------------------------------------------------
// The model: forward (with activations kept) and backward into a gradient array of the same layout.

template <typename T>
struct Model {
    Config cfg;
    Layout layout;
    std::vector<T> params;
    std::vector<T> rope_full, rope_swa;  // cos/sin tables, grown on demand
    double seconds_forward = 0, seconds_head = 0, seconds_backward = 0;  // phase timers (progress lines)
    bool fast_head() const { return use_fast_kernels<T>(cfg.n_embd); }

    static double clock_s() {
        return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
    }

    const T* P(size_t off) const { return params.data() + off; }

    void ensure_rope(int max_pos) {
        const size_t need = (size_t)max_pos * (cfg.head_dim / 2) * 2;
        if (rope_full.size() >= need) return;
        rope_full = rope_table<T>(cfg, cfg.rope_base, max_pos);
        rope_swa = rope_table<T>(cfg, cfg.rope_base_swa, max_pos);
    }

    // Runs the transformer up to the final norm; fills acts (a.N tokens from the bounds).
    void forward(Acts<T>& a, const Sample& s) {
        const Config& c = cfg;
        set_geometry(a, s.bounds);
        const int N = a.N, E = c.n_embd, H = c.n_head, KV = c.n_head_kv, D = c.head_dim;
        const int X = c.n_expert, K = c.n_expert_used, F = c.n_ff;
        int max_pos = 1;
        for (int t = 0; t < N; t++) max_pos = std::max(max_pos, a.pos[t] + 1);
        ensure_rope(max_pos);

        std::vector<T> x((size_t)N * E);
        for (int t = 0; t < N; t++)
            std::memcpy(&x[(size_t)t * E], P(layout.token_embd) + (size_t)s.tokens[t] * E, E * sizeof(T));

        a.layers.resize(c.n_layer);
        for (int l = 0; l < c.n_layer; l++) {
            const LayerOffsets& w = layout.layers[l];
            LayerActs<T>& A = a.layers[l];
            A.x_in = x;
            A.h.resize((size_t)N * E); A.rstd1.resize(N);
            rmsnorm_forward(A.h.data(), A.rstd1.data(), x.data(), P(w.attn_norm), N, E, c.rms_eps);

            A.q.resize((size_t)N * H * D); A.k.resize((size_t)N * KV * D); A.v.resize((size_t)N * KV * D);
            matmul_forward(A.q.data(), A.h.data(), P(w.wq), P(w.bq), N, E, H * D);
            matmul_forward(A.k.data(), A.h.data(), P(w.wk), P(w.bk), N, E, KV * D);
            matmul_forward(A.v.data(), A.h.data(), P(w.wv), P(w.bv), N, E, KV * D);
            const std::vector<T>& rope = c.is_swa(l) ? rope_swa : rope_full;
            rope_apply(A.q.data(), a.pos.data(), rope, N, H, D, false);
            rope_apply(A.k.data(), a.pos.data(), rope, N, KV, D, false);

            AttnShape<T> sh{N, H, KV, D, c.is_swa(l) ? c.n_swa : 0, T(1) / std::sqrt((T)D)};
            A.o.resize((size_t)N * H * D); A.lse.resize((size_t)N * H);
            attention_forward(A.o.data(), A.lse.data(), A.q.data(), A.k.data(), A.v.data(), P(w.sinks), a, sh);

            std::vector<T> attn((size_t)N * E);
            matmul_forward(attn.data(), A.o.data(), P(w.wo), P(w.bo), N, H * D, E);
            for (size_t i = 0; i < x.size(); i++) x[i] += attn[i];
            A.x_mid = x;

            A.h2.resize((size_t)N * E); A.rstd2.resize(N);
            rmsnorm_forward(A.h2.data(), A.rstd2.data(), x.data(), P(w.post_norm), N, E, c.rms_eps);
            A.router.resize((size_t)N * X);
            matmul_forward(A.router.data(), A.h2.data(), P(w.router_w), P(w.router_b), N, E, X);

            A.sel.resize((size_t)N * K); A.weight.resize((size_t)N * K);
            A.g.resize((size_t)N * K * F); A.u.resize((size_t)N * K * F); A.act.resize((size_t)N * K * F);
            A.y.resize((size_t)N * K * E);
            moe_forward(A, w, x, N);
        }
        a.x_out = x;
        a.hf.resize((size_t)N * E); a.rstdf.resize(N);
        rmsnorm_forward(a.hf.data(), a.rstdf.data(), x.data(), P(layout.output_norm), N, E, c.rms_eps);
    }

    // Router top-k (ties: lower expert index first), softmax over the selected, experts; adds to x.
    // Each expert runs as dense matmuls over the tokens routed to it ([n_e, E] gathered rows).
    void moe_forward(LayerActs<T>& A, const LayerOffsets& w, std::vector<T>& x, int N) {
        const Config& c = cfg;
        const int E = c.n_embd, X = c.n_expert, K = c.n_expert_used, F = c.n_ff;
        const T alpha = (T)c.swiglu_alpha, limit = (T)c.swiglu_limit, wscale = (T)c.expert_weights_scale;
#pragma omp parallel for schedule(static)
        for (int t = 0; t < N; t++) {
            const T* r = &A.router[(size_t)t * X];
            std::vector<int> order(X);
            for (int e = 0; e < X; e++) order[e] = e;
            std::stable_sort(order.begin(), order.end(), [r](int i, int j) { return r[i] > r[j]; });
            T m = r[order[0]], sum = 0;
            for (int k = 0; k < K; k++) sum += std::exp(r[order[k]] - m);
            for (int k = 0; k < K; k++) {
                A.sel[(size_t)t * K + k] = order[k];
                A.weight[(size_t)t * K + k] = std::exp(r[order[k]] - m) / sum;
            }
        }
        const std::vector<std::vector<size_t>> routed = routed_slots(A, N);
        std::vector<T> in, g, u, y;
        for (int e = 0; e < X; e++) {
            const std::vector<size_t>& list = routed[e];  // (token, slot) indices tk = t * K + k
            const int n = (int)list.size();
            if (n == 0) continue;
            in.resize((size_t)n * E); g.resize((size_t)n * F); u.resize((size_t)n * F); y.resize((size_t)n * E);
            for (int i = 0; i < n; i++) std::memcpy(&in[(size_t)i * E], &A.h2[(list[i] / K) * E], E * sizeof(T));
            matmul_forward(g.data(), in.data(), P(w.gate_w) + (size_t)e * F * E, P(w.gate_b) + (size_t)e * F, n, E, F);
            matmul_forward(u.data(), in.data(), P(w.up_w) + (size_t)e * F * E, P(w.up_b) + (size_t)e * F, n, E, F);
            for (int i = 0; i < n; i++) {
                const size_t tk = list[i];
                std::memcpy(&A.g[tk * F], &g[(size_t)i * F], F * sizeof(T));
                std::memcpy(&A.u[tk * F], &u[(size_t)i * F], F * sizeof(T));
                for (int f = 0; f < F; f++) A.act[tk * F + f] = swiglu_oai(g[(size_t)i * F + f], u[(size_t)i * F + f], alpha, limit);
                std::memcpy(&g[(size_t)i * F], &A.act[tk * F], F * sizeof(T));  // g now holds act rows
            }
            matmul_forward(y.data(), g.data(), P(w.down_w) + (size_t)e * E * F, P(w.down_b) + (size_t)e * E, n, F, E);
            for (int i = 0; i < n; i++) std::memcpy(&A.y[list[i] * E], &y[(size_t)i * E], E * sizeof(T));
        }
#pragma omp parallel for schedule(static)
        for (int t = 0; t < N; t++)
            for (int k = 0; k < K; k++) {
                const size_t tk = (size_t)t * K + k;
                axpy(&x[(size_t)t * E], wscale * A.weight[tk], &A.y[tk * E], E);
            }
    }

    // For each expert, the (token, slot) indices routed to it, in token order. A token picks an expert
    // at most once, so rows of one expert's list belong to distinct tokens.
    std::vector<std::vector<size_t>> routed_slots(const LayerActs<T>& A, int N) const {
        const int K = cfg.n_expert_used;
        std::vector<std::vector<size_t>> routed(cfg.n_expert);
        for (int t = 0; t < N; t++)
            for (int k = 0; k < K; k++) routed[A.sel[(size_t)t * K + k]].push_back((size_t)t * K + k);
        return routed;
    }

    // Output head for a chunk of rows h[R,E]: logits[R,V] = h Wout^T. The vocabulary is the outer
    // loop so Wout (the largest tensor) streams through the cache once per chunk, not once per row.
    void head_forward(T* logits, const T* h, int R) const {
        const int E = cfg.n_embd, V = cfg.n_vocab;
        const T* W = P(layout.output);
        if constexpr (std::is_same<T, float>::value) {
            if (fast_head()) return fast::head_forward(logits, h, W, R, V, E);
        }
#pragma omp parallel for schedule(static)
        for (int v = 0; v < V; v++)
            for (int r = 0; r < R; r++) logits[(size_t)r * V + v] = dot(W + (size_t)v * E, h + (size_t)r * E, E);
    }

    // Given dlogits[R,V]: dW[V,E] += dlogits^T h, dh[R,E] += dlogits W (one pass over W and dW;
    // each thread sums its vocabulary range's dh contribution, then the partial sums are added).
    void head_backward(T* dh, T* dW, const T* dlogits, const T* h, int R) const {
        const int E = cfg.n_embd, V = cfg.n_vocab;
        const T* W = P(layout.output);
        if constexpr (std::is_same<T, float>::value) {
            if (fast_head()) return fast::head_backward(dh, dW, dlogits, h, W, R, V, E);
        }
        ThreadLocals<T> locals((size_t)R * E);  // dh partial sums, added in thread order below
#pragma omp parallel
        {
            std::vector<T>& local = locals.mine();
#pragma omp for schedule(static)
            for (int v = 0; v < V; v++) {
                const T* w = W + (size_t)v * E;
                T* gw = dW + (size_t)v * E;
                for (int r = 0; r < R; r++) {
                    const T d = dlogits[(size_t)r * V + v];
                    axpy(gw, d, h + (size_t)r * E, E);
                    axpy(&local[(size_t)r * E], d, w, E);
                }
            }
        }
        locals.add_into(dh);
    }

    // Cross-entropy over the target positions, optionally with backward.
    // Returns the SUM of -log p(target); grads (if not null) receive d(loss_scale * sum)/dparam.
    // Rows are processed in chunks so the [rows, vocab] logits never exceed chunk * vocab values.
    double loss_and_backward(const Sample& s, T* grads, double loss_scale, int64_t* n_targets) {
        Acts<T> a;
        double t0 = clock_s();
        forward(a, s);
        double t1 = clock_s();
        seconds_forward += t1 - t0;
        const int N = a.N, E = cfg.n_embd, V = cfg.n_vocab;
        std::vector<int> rows;  // row t predicts token t+1
        for (int t = 0; t + 1 < N; t++)
            if (s.mask[t + 1]) rows.push_back(t);
        if (n_targets) *n_targets = (int64_t)rows.size();
        const uint32_t* labels = s.labels ? s.labels : s.tokens;

        std::vector<T> dhf(grads ? (size_t)N * E : 0);
        double loss = 0;
        const int chunk = 128;
        std::vector<T> logits((size_t)std::min<size_t>(chunk, rows.size()) * V);
        std::vector<T> h((size_t)chunk * E), dh((size_t)chunk * E);
        for (size_t c0 = 0; c0 < rows.size(); c0 += chunk) {
            const int nr = (int)std::min<size_t>(chunk, rows.size() - c0);
            for (int r = 0; r < nr; r++) std::memcpy(&h[(size_t)r * E], &a.hf[(size_t)rows[c0 + r] * E], E * sizeof(T));
            head_forward(logits.data(), h.data(), nr);
            std::vector<double> row_loss(nr);  // summed in row order below, for bit-identical runs
#pragma omp parallel for schedule(static)
            for (int r = 0; r < nr; r++) {
                T* lg = &logits[(size_t)r * V];
                const uint32_t target = labels[rows[c0 + r] + 1];
                if constexpr (std::is_same<T, float>::value) {
                    if (fast_head()) {  // vectorized exp; the target's logit is read before it is overwritten
                        const double target_logit = lg[target];
                        const double lse = fast::softmax_row(lg, V, grads ? (float)loss_scale : 1.0f);
                        row_loss[r] = lse - target_logit;
                        if (grads) lg[target] -= (T)loss_scale;
                        continue;
                    }
                }
                const T m = *std::max_element(lg, lg + V);
                double sum = 0;
                for (int v = 0; v < V; v++) sum += std::exp(lg[v] - m);
                const double lse = (double)m + std::log(sum);
                row_loss[r] = lse - (double)lg[target];
                if (grads) {  // dlogits = (softmax - onehot) * scale, in place
                    const T shift = (T)lse, sc = (T)loss_scale;
                    for (int v = 0; v < V; v++) lg[v] = std::exp(lg[v] - shift) * sc;
                    lg[target] -= sc;
                }
            }
            for (double l : row_loss) loss += l;
            if (!grads) continue;
            std::fill(dh.begin(), dh.end(), T(0));
            head_backward(dh.data(), grads + layout.output, logits.data(), h.data(), nr);
            for (int r = 0; r < nr; r++) axpy(&dhf[(size_t)rows[c0 + r] * E], T(1), &dh[(size_t)r * E], E);
        }
        t0 = clock_s();
        seconds_head += t0 - t1;
        if (grads && !rows.empty()) backward(a, s, grads, dhf);
        seconds_backward += clock_s() - t0;
        return loss;
    }

    // Backward from d loss / d hf [N,E] through every layer into grads.
    void backward(Acts<T>& a, const Sample& s, T* G, const std::vector<T>& dhf) {
        const Config& c = cfg;
        const int N = a.N, E = c.n_embd, H = c.n_head, KV = c.n_head_kv, D = c.head_dim;
        std::vector<T> dx((size_t)N * E, T(0));
        rmsnorm_backward(dx.data(), G + layout.output_norm, dhf.data(), a.x_out.data(), P(layout.output_norm),
                         a.rstdf.data(), N, E);
        for (int l = c.n_layer - 1; l >= 0; l--) {
            const LayerOffsets& w = layout.layers[l];
            LayerActs<T>& A = a.layers[l];
            // MoE block: x_out = x_mid + moe(h2); dx flows to x_mid directly and through the norm.
            std::vector<T> dh2((size_t)N * E, T(0));
            moe_backward(A, w, G, dx, dh2, N);
            rmsnorm_backward(dx.data(), G + w.post_norm, dh2.data(), A.x_mid.data(), P(w.post_norm), A.rstd2.data(), N, E);

            // Attention block: x_mid = x_in + attn(h).
            std::vector<T> dO((size_t)N * H * D, T(0));
            matmul_backward(dO.data(), G + w.wo, G + w.bo, dx.data(), A.o.data(), P(w.wo), N, H * D, E);
            std::vector<T> dq((size_t)N * H * D, T(0)), dk((size_t)N * KV * D, T(0)), dv((size_t)N * KV * D, T(0));
            AttnShape<T> sh{N, H, KV, D, c.is_swa(l) ? c.n_swa : 0, T(1) / std::sqrt((T)D)};
            attention_backward(dq.data(), dk.data(), dv.data(), G + w.sinks, dO.data(), A.o.data(), A.lse.data(),
                               A.q.data(), A.k.data(), A.v.data(), P(w.sinks), a, sh);
            const std::vector<T>& rope = c.is_swa(l) ? rope_swa : rope_full;
            rope_apply(dq.data(), a.pos.data(), rope, N, H, D, true);
            rope_apply(dk.data(), a.pos.data(), rope, N, KV, D, true);
            std::vector<T> dh((size_t)N * E, T(0));
            matmul_backward(dh.data(), G + w.wq, G + w.bq, dq.data(), A.h.data(), P(w.wq), N, E, H * D);
            matmul_backward(dh.data(), G + w.wk, G + w.bk, dk.data(), A.h.data(), P(w.wk), N, E, KV * D);
            matmul_backward(dh.data(), G + w.wv, G + w.bv, dv.data(), A.h.data(), P(w.wv), N, E, KV * D);
            rmsnorm_backward(dx.data(), G + w.attn_norm, dh.data(), A.x_in.data(), P(w.attn_norm), A.rstd1.data(), N, E);
        }
        // Embedding rows: serial, since two tokens may share a row.
        for (int t = 0; t < N; t++) {
            T* ge = G + layout.token_embd + (size_t)s.tokens[t] * E;
            for (int i = 0; i < E; i++) ge[i] += dx[(size_t)t * E + i];
        }
    }

    // dmoe = dx (the residual gradient); accumulates dh2 and the expert/router gradients.
    void moe_backward(const LayerActs<T>& A, const LayerOffsets& w, T* G, const std::vector<T>& dx,
                      std::vector<T>& dh2, int N) {
        const Config& c = cfg;
        const int E = c.n_embd, X = c.n_expert, K = c.n_expert_used, F = c.n_ff;
        const T alpha = (T)c.swiglu_alpha, limit = (T)c.swiglu_limit, wscale = (T)c.expert_weights_scale;
        // Per token: moe = wscale sum_k weight_k y_k, so dy_k = wscale weight_k dx and d weight_k =
        // wscale dx . y_k; the softmax over the selected logits gives the router logit gradients.
        std::vector<T> dy((size_t)N * K * E), drouter((size_t)N * X, T(0));
#pragma omp parallel for schedule(static)
        for (int t = 0; t < N; t++) {
            const T* dxo = &dx[(size_t)t * E];
            T dweight[64];  // n_expert_used <= 64 (checked when the config is read)
            T wdot = 0;
            for (int k = 0; k < K; k++) {
                const size_t tk = (size_t)t * K + k;
                dweight[k] = wscale * dot(dxo, &A.y[tk * E], E);
                wdot += A.weight[tk] * dweight[k];
                for (int i = 0; i < E; i++) dy[tk * E + i] = wscale * A.weight[tk] * dxo[i];
            }
            for (int k = 0; k < K; k++) {
                const size_t tk = (size_t)t * K + k;
                drouter[(size_t)t * X + A.sel[tk]] = A.weight[tk] * (dweight[k] - wdot);
            }
        }
        // Per expert, the forward's matmuls backwards over its gathered rows.
        const std::vector<std::vector<size_t>> routed = routed_slots(A, N);
        std::vector<T> in, act, dyr, dact, dg, du, din;
        for (int e = 0; e < X; e++) {
            const std::vector<size_t>& list = routed[e];
            const int n = (int)list.size();
            if (n == 0) continue;
            in.resize((size_t)n * E); act.resize((size_t)n * F); dyr.resize((size_t)n * E);
            dg.resize((size_t)n * F); du.resize((size_t)n * F);
            dact.assign((size_t)n * F, T(0));
            din.assign((size_t)n * E, T(0));
            for (int i = 0; i < n; i++) {
                const size_t tk = list[i];
                std::memcpy(&in[(size_t)i * E], &A.h2[(tk / K) * E], E * sizeof(T));
                std::memcpy(&act[(size_t)i * F], &A.act[tk * F], F * sizeof(T));
                std::memcpy(&dyr[(size_t)i * E], &dy[tk * E], E * sizeof(T));
            }
            matmul_backward(dact.data(), G + w.down_w + (size_t)e * E * F, G + w.down_b + (size_t)e * E, dyr.data(), act.data(),
                            P(w.down_w) + (size_t)e * E * F, n, F, E);
            for (int i = 0; i < n; i++)
                for (int f = 0; f < F; f++) {
                    const size_t tk = list[i];
                    T gg, gu;
                    swiglu_oai_grad(A.g[tk * F + f], A.u[tk * F + f], alpha, limit, &gg, &gu);
                    dg[(size_t)i * F + f] = dact[(size_t)i * F + f] * gg;
                    du[(size_t)i * F + f] = dact[(size_t)i * F + f] * gu;
                }
            matmul_backward(din.data(), G + w.gate_w + (size_t)e * F * E, G + w.gate_b + (size_t)e * F, dg.data(), in.data(),
                            P(w.gate_w) + (size_t)e * F * E, n, E, F);
            matmul_backward(din.data(), G + w.up_w + (size_t)e * F * E, G + w.up_b + (size_t)e * F, du.data(), in.data(),
                            P(w.up_w) + (size_t)e * F * E, n, E, F);
            for (int i = 0; i < n; i++) axpy(&dh2[(list[i] / K) * E], T(1), &din[(size_t)i * E], E);
        }
        // Router: logits = h2 Wr + br.
        matmul_backward(dh2.data(), G + w.router_w, G + w.router_b, drouter.data(), A.h2.data(), P(w.router_w), N, E, X);
    }
};

}  // namespace gptoss
