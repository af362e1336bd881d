// Correctness checks of the CPU reference on a tiny random gpt-oss, in float64:
//   gradcheck : every parameter tensor's gradient against central finite differences
//   packed    : loss and gradients of a packed sample == sum over its documents run one at a time
//   mask      : positions with mask 0 have no effect (changing their tokens' targets changes nothing)
// Prints one JSON line per check and exits 1 if any fails. Run from test/train.test.ts.
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>

#include "adamw.h"
#include "gguf.h"
#include "gpt_oss.h"

using namespace gptoss;
typedef double T;

// A config small enough for finite differences that still exercises every branch: GQA (4 heads,
// 2 kv heads), a sliding window shorter than the documents, YaRN with a truncated correction range,
// top-2 of 4 experts, and a SwiGLU limit low enough that the clamps are hit.
static Config tiny_config(bool truncate) {
    Config c;
    c.n_vocab = 37; c.n_embd = 16; c.n_layer = 2;
    c.n_head = 4; c.n_head_kv = 2; c.head_dim = 8;
    c.n_expert = 4; c.n_expert_used = 2; c.n_ff = 12;
    c.n_swa = 4; c.swa_period = 2;
    c.rms_eps = 1e-5;
    c.rope_base = 150000; c.rope_base_swa = 150000;
    c.rope_freq_scale = 1.0 / 32; c.rope_n_ctx_orig = 64; c.yarn_ext_factor = 1;
    c.yarn_attn_factor = 1.0 / (1 + 0.1 * std::log(32.0)) * (1 + 0.1 * std::log(32.0));
    c.rope_truncate = truncate;
    c.swiglu_limit = 0.9;
    return c;
}

static Model<T> random_model(const Config& c, unsigned seed) {
    Model<T> m;
    m.cfg = c;
    m.layout = make_layout(c);
    m.params.resize(m.layout.total);
    std::mt19937_64 rng(seed);
    std::normal_distribution<double> normal(0.0, 1.0);
    for (const TensorSpec& t : m.layout.tensors) {
        const bool norm = t.name.find("norm") != std::string::npos;
        const double sd = norm ? 0.2 : (t.name.find("sinks") != std::string::npos ? 1.0 : 0.5);
        for (size_t i = 0; i < t.size; i++) m.params[t.offset + i] = (norm ? 1.0 : 0.0) + sd * normal(rng);
    }
    return m;
}

struct Data {
    std::vector<uint32_t> tokens;
    std::vector<uint8_t> mask;
    std::vector<uint32_t> bounds;
};

// Documents of the given lengths back to back plus `pad` padding positions; random targets, first
// token of each document never a target.
static Data random_data(const std::vector<int>& lengths, int pad, int vocab, unsigned seed) {
    std::mt19937 rng(seed);
    Data d;
    d.bounds.push_back(0);
    for (int len : lengths) {
        for (int i = 0; i < len; i++) {
            d.tokens.push_back(rng() % vocab);
            d.mask.push_back(i > 0 && rng() % 3 != 0);
        }
        d.bounds.push_back((uint32_t)d.tokens.size());
    }
    for (int i = 0; i < pad; i++) { d.tokens.push_back(vocab - 1); d.mask.push_back(0); }
    return d;
}

static Sample as_sample(const Data& d) {
    Sample s;
    s.tokens = d.tokens.data();
    s.mask = d.mask.data();
    s.bounds = d.bounds;
    return s;
}

static double loss_of(Model<T>& m, const Sample& s) { return m.loss_and_backward(s, nullptr, 1.0, nullptr); }

static bool gradcheck(const char* label, bool truncate) {
    Model<T> m = random_model(tiny_config(truncate), 7);
    Data d = random_data({9, 6}, 3, m.cfg.n_vocab, 11);
    Sample s = as_sample(d);
    std::vector<T> grads(m.params.size(), 0.0);
    m.loss_and_backward(s, grads.data(), 1.0, nullptr);
    const double eps = 1e-5;
    bool ok = true;
    double worst = 0;
    std::string worst_name;
    int tensors = 0;
    std::mt19937 rng(3);
    for (const TensorSpec& t : m.layout.tensors) {
        // up to 24 elements per tensor (all of the small ones)
        std::vector<size_t> idx;
        if (t.size <= 24) for (size_t i = 0; i < t.size; i++) idx.push_back(i);
        else for (int i = 0; i < 24; i++) idx.push_back(rng() % t.size);
        double tensor_worst = 0, tensor_max_grad = 0;
        for (size_t i : idx) {
            T& p = m.params[t.offset + i];
            const T saved = p;
            p = saved + eps; const double lp = loss_of(m, s);
            p = saved - eps; const double lm = loss_of(m, s);
            p = saved;
            const double fd = (lp - lm) / (2 * eps), an = grads[t.offset + i];
            const double err = std::fabs(fd - an) / std::max(1e-6, std::max(std::fabs(fd), std::fabs(an)));
            tensor_worst = std::max(tensor_worst, std::fabs(fd - an) < 1e-8 ? 0.0 : err);
            tensor_max_grad = std::max(tensor_max_grad, std::fabs(an));
        }
        tensors++;
        if (tensor_max_grad == 0) {  // a vacuous check would pass; every tensor must get gradient
            ok = false;
            std::printf("{\"check\":\"gradcheck\",\"mode\":\"%s\",\"tensor\":\"%s\",\"error\":\"zero gradient\"}\n", label, t.name.c_str());
        }
        if (tensor_worst > worst) { worst = tensor_worst; worst_name = t.name; }
        if (tensor_worst > 1e-4) ok = false;
    }
    std::printf("{\"check\":\"gradcheck\",\"mode\":\"%s\",\"tensors\":%d,\"worst_rel_error\":%.3g,\"worst_tensor\":\"%s\",\"ok\":%s}\n",
                label, tensors, worst, worst_name.c_str(), ok ? "true" : "false");
    return ok;
}

static double max_abs_diff(const std::vector<T>& a, const std::vector<T>& b) {
    double m = 0;
    for (size_t i = 0; i < a.size(); i++) m = std::max(m, std::fabs(a[i] - b[i]));
    return m;
}

static bool packed_equals_documents() {
    Model<T> m = random_model(tiny_config(true), 21);
    const std::vector<int> lengths = {7, 12, 5};
    Data packed = random_data(lengths, 4, m.cfg.n_vocab, 5);
    std::vector<T> g_packed(m.params.size(), 0.0), g_docs(m.params.size(), 0.0);
    int64_t n_packed = 0;
    const double l_packed = m.loss_and_backward(as_sample(packed), g_packed.data(), 1.0, &n_packed);
    double l_docs = 0;
    int64_t n_docs = 0;
    for (size_t d = 0; d < lengths.size(); d++) {
        Data one;
        one.tokens.assign(packed.tokens.begin() + packed.bounds[d], packed.tokens.begin() + packed.bounds[d + 1]);
        one.mask.assign(packed.mask.begin() + packed.bounds[d], packed.mask.begin() + packed.bounds[d + 1]);
        one.bounds = {0, (uint32_t)one.tokens.size()};
        int64_t n = 0;
        l_docs += m.loss_and_backward(as_sample(one), g_docs.data(), 1.0, &n);
        n_docs += n;
    }
    const double dg = max_abs_diff(g_packed, g_docs);
    const bool ok = n_packed > 0 && n_packed == n_docs && std::fabs(l_packed - l_docs) < 1e-9 * std::fabs(l_docs) && dg < 1e-9;
    std::printf("{\"check\":\"packed\",\"documents\":%zu,\"targets\":%lld,\"loss_packed\":%.12g,\"loss_documents\":%.12g,"
                "\"max_grad_diff\":%.3g,\"ok\":%s}\n",
                lengths.size(), (long long)n_packed, l_packed, l_docs, dg, ok ? "true" : "false");
    return ok;
}

static bool mask_zero_has_no_effect() {
    Model<T> m = random_model(tiny_config(true), 33);
    Data d = random_data({10, 8}, 2, m.cfg.n_vocab, 9);
    std::vector<T> g1(m.params.size(), 0.0), g2(m.params.size(), 0.0);
    Sample s1 = as_sample(d);
    const double l1 = m.loss_and_backward(s1, g1.data(), 1.0, nullptr);
    // Every target label under mask 0 changes; so does every padding token (input and label).
    Data d2 = d;
    std::vector<uint32_t> labels = d.tokens;
    int changed_labels = 0, changed_padding = 0;
    for (size_t t = 0; t < d.tokens.size(); t++) {
        if (d.mask[t]) continue;
        labels[t] = (labels[t] + 5) % m.cfg.n_vocab;
        changed_labels++;
        if (t >= d.bounds.back()) { d2.tokens[t] = (d2.tokens[t] + 3) % m.cfg.n_vocab; changed_padding++; }
    }
    Sample s2 = as_sample(d2);
    s2.labels = labels.data();
    const double l2 = m.loss_and_backward(s2, g2.data(), 1.0, nullptr);
    // The check must not be vacuous: there are targets, and changing a masked-IN label does matter.
    std::vector<uint32_t> labels3 = d.tokens;
    for (size_t t = 0; t < d.tokens.size(); t++) if (d.mask[t]) { labels3[t] = (labels3[t] + 1) % m.cfg.n_vocab; break; }
    Sample s3 = as_sample(d);
    s3.labels = labels3.data();
    const double l3 = m.loss_and_backward(s3, nullptr, 1.0, nullptr);
    const bool ok = changed_labels > 0 && changed_padding > 0 && l1 == l2 && max_abs_diff(g1, g2) == 0 && l3 != l1;
    std::printf("{\"check\":\"mask\",\"changed_labels\":%d,\"changed_padding\":%d,\"loss_diff\":%.3g,"
                "\"control_loss_diff\":%.3g,\"ok\":%s}\n",
                changed_labels, changed_padding, std::fabs(l1 - l2), std::fabs(l3 - l1), ok ? "true" : "false");
    return ok;
}

// The float fast paths (head_fast.h: output head and the dense projections) against the reference
// loops: loss and every gradient of a float model whose widths take the fast paths (E = 64, q = 64).
static bool fast_head_matches_reference() {
    Config c = tiny_config(true);
    c.n_embd = 64; c.n_vocab = 301; c.head_dim = 16;
    Model<T> md = random_model(c, 5);
    Model<float> m;
    m.cfg = c; m.layout = md.layout;
    m.params.assign(md.params.begin(), md.params.end());
    Data d = random_data({40, 30}, 5, c.n_vocab, 17);
    Sample s = as_sample(d);
    std::vector<float> g_fast(m.params.size(), 0.f), g_ref(m.params.size(), 0.f);
    const bool took_fast = m.fast_head();
    const double l_fast = m.loss_and_backward(s, g_fast.data(), 1.0, nullptr);
    g_reference_kernels = true;
    const double l_ref = m.loss_and_backward(s, g_ref.data(), 1.0, nullptr);
    g_reference_kernels = false;
    // Both float paths against the float64 gradients: the fast one must be as close as the reference one.
    std::vector<T> g64(md.params.size(), 0.0);
    md.loss_and_backward(s, g64.data(), 1.0, nullptr);
    double err_fast = 0, err_ref = 0, scale = 0;
    for (size_t i = 0; i < g64.size(); i++) {
        err_fast = std::max(err_fast, std::fabs(g_fast[i] - g64[i]));
        err_ref = std::max(err_ref, std::fabs(g_ref[i] - g64[i]));
        scale = std::max(scale, std::fabs(g64[i]));
    }
    const bool ok = took_fast && std::fabs(l_fast - l_ref) < 1e-5 * std::fabs(l_ref) && err_fast < 2 * err_ref + 1e-6 * scale;
    std::printf("{\"check\":\"fast_head\",\"loss_fast\":%.9g,\"loss_reference\":%.9g,\"fast_grad_rel_error\":%.3g,"
                "\"reference_grad_rel_error\":%.3g,\"ok\":%s}\n",
                l_fast, l_ref, err_fast / scale, err_ref / scale, ok ? "true" : "false");
    return ok;
}

// Half-precision conversions of the GGUF reader/writer against known bit patterns, and round trips.
static bool half_conversions() {
    struct Case { float f; uint16_t f16, bf16; };
    const Case cases[] = {
        {1.0f, 0x3c00, 0x3f80}, {-2.0f, 0xc000, 0xc000}, {0.5f, 0x3800, 0x3f00}, {65504.0f, 0x7bff, 0x4780},
        {5.9604645e-08f, 0x0001, 0x3380},  // smallest f16 subnormal
        {0.0f, 0x0000, 0x0000}, {3.140625f, 0x4248, 0x4049},
    };
    int checked = 0;
    bool ok = true;
    for (const Case& c : cases) {
        ok &= gguf::f32_to_f16(c.f) == c.f16 && gguf::f16_to_f32(c.f16) == c.f;
        ok &= gguf::f32_to_bf16(c.f) == c.bf16;
        checked++;
    }
    ok &= gguf::f32_to_f16(1.0f + 1.0f / 2048) == 0x3c00;               // ties to even: rounds down
    ok &= gguf::f32_to_f16(1.0f + 3.0f / 2048) == 0x3c02;               // ties to even: rounds up
    ok &= gguf::f32_to_f16(1e6f) == 0x7c00;                             // overflow to infinity
    ok &= gguf::bf16_to_f32(gguf::f32_to_bf16(1.00390625f)) == 1.0f;    // tie to even in bf16
    for (uint32_t h = 0; h < 0x7c00; h++) ok &= gguf::f32_to_f16(gguf::f16_to_f32((uint16_t)h)) == h;  // all finite f16
    std::printf("{\"check\":\"half_conversions\",\"cases\":%d,\"ok\":%s}\n", checked, ok ? "true" : "false");
    return ok;
}

// The recipe's schedule at the model card's 441 steps (warmup 20, decay ratio 0.5, min factor 0.3).
static bool recipe_schedule() {
    Hyper h;  // defaults = the recipe
    auto near = [](double a, double b) { return std::fabs(a - b) <= 1e-12 * std::fabs(b); };
    bool ok = near(lr_at(h, 0, 441), 1e-5 / 21) && near(lr_at(h, 19, 441), 1e-5 * 20 / 21);
    ok &= lr_at(h, 20, 441) == 1e-5 && lr_at(h, 220, 441) == 1e-5;  // decay = round(220.5) = 220 starts at 221
    ok &= lr_at(h, 221, 441) < 1e-5;
    ok &= near(lr_at(h, 440, 441), 1e-5 * (0.3 + 0.7 * 0.5 * (1 + std::cos(M_PI * 220.0 / 221))));
    for (int s = 1; s < 441; s++) ok &= s <= 20 ? lr_at(h, s, 441) > lr_at(h, s - 1, 441) : lr_at(h, s, 441) <= lr_at(h, s - 1, 441);
    std::printf("{\"check\":\"recipe_schedule\",\"lr_0\":%.6g,\"lr_220\":%.6g,\"lr_221\":%.6g,\"lr_440\":%.6g,\"ok\":%s}\n",
                lr_at(h, 0, 441), lr_at(h, 220, 441), lr_at(h, 221, 441), lr_at(h, 440, 441), ok ? "true" : "false");
    return ok;
}

int main() {
#ifdef _OPENMP
    omp_set_num_threads(1);
#endif
    bool ok = true;
    ok &= gradcheck("llama.cpp-truncated-yarn", true);
    ok &= gradcheck("hf-untruncated-yarn", false);
    ok &= packed_equals_documents();
    ok &= mask_zero_has_no_effect();
    ok &= fast_head_matches_reference();
    ok &= half_conversions();
    ok &= recipe_schedule();
    return ok ? 0 : 1;
}
