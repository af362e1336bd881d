// AdamW with the model card's recipe and its learning-rate schedule, plus the optimizer-state file.
#pragma once

#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <stdexcept>
#include <string>
#include <vector>

#include "gpt_oss.h"

namespace gptoss {

struct Hyper {
    double lr = 1e-5;
    int warmup = 20;
    double decay_ratio = 0.5;    // the last decay_ratio of the steps decay (cosine)
    double min_lr_factor = 0.3;  // the decay ends at lr * min_lr_factor
    double weight_decay = 0.01;  // not applied to embeddings and norms
    double clip = 1.0;           // max global gradient norm (0 = off)
    double beta1 = 0.9, beta2 = 0.95, eps = 1e-8;
};

// Warmup-stable-decay exactly as torchtitan's linear_warmup_stable_decay (components/lr_scheduler.py),
// the scheduler behind the model card's recipe; `step` is 0-indexed and step i trains with lr_at(i):
//   decay  = round(steps * decay_ratio) (Python's round: half to even; 441 * 0.5 -> 220), cut to
//            steps - warmup if warmup + decay > steps
//   warmup: lr * (step + 1) / (warmup + 1)
//   stable: lr
//   decay:  lr * (min + (1 - min) * (1 + cos(pi * progress)) / 2), progress = (step + 1 - start) / (decay + 1)
inline double lr_at(const Hyper& h, int step, int total_steps) {
    const int warmup = std::max(0, h.warmup);
    int decay = (int)std::nearbyint(total_steps * h.decay_ratio);  // default rounding mode: half to even
    if (warmup + decay > total_steps) decay = std::max(0, total_steps - warmup);
    const int decay_start = total_steps - decay;  // = warmup + stable
    if (step < warmup) return h.lr * (double)(step + 1) / (warmup + 1);
    if (step < decay_start || decay == 0) return h.lr;
    const double progress = (double)(step + 1 - decay_start) / (decay + 1);
    const double cosine = 0.5 * (1.0 + std::cos(M_PI * progress));
    return h.lr * (h.min_lr_factor + (1.0 - h.min_lr_factor) * cosine);
}

struct AdamW {
    std::vector<float> m, v;
    int64_t step = 0;  // optimizer steps taken

    void init(size_t n) { m.assign(n, 0.f); v.assign(n, 0.f); step = 0; }

    // Clips grads to h.clip (global L2 norm) and updates params. Returns the norm before clipping.
    double update(const Layout& layout, std::vector<float>& params, std::vector<float>& grads, const Hyper& h, double lr) {
        const float* gs = grads.data();
        const double sq = ordered_sum(grads.size(), [gs](size_t i) { return (double)gs[i] * gs[i]; });
        const double norm = std::sqrt(sq);
        const float clip_scale = (h.clip > 0 && norm > h.clip) ? (float)(h.clip / (norm + 1e-6)) : 1.0f;
        step++;
        const float b1 = (float)h.beta1, b2 = (float)h.beta2, eps = (float)h.eps, lr_f = (float)lr;
        const float inv_bc1 = (float)(1.0 / (1.0 - std::pow(h.beta1, (double)step)));
        const float inv_bc2 = (float)(1.0 / (1.0 - std::pow(h.beta2, (double)step)));
        for (const TensorSpec& t : layout.tensors) {
            const float decay = t.weight_decay ? (float)(lr * h.weight_decay) : 0.f;
            float* p = params.data() + t.offset;
            float* mm = m.data() + t.offset;
            float* vv = v.data() + t.offset;
            const float* gg = grads.data() + t.offset;
#pragma omp parallel for simd schedule(static)
            for (size_t i = 0; i < t.size; i++) {
                const float g = gg[i] * clip_scale;
                mm[i] = b1 * mm[i] + (1 - b1) * g;
                vv[i] = b2 * vv[i] + (1 - b2) * g * g;
                p[i] -= decay * p[i];  // decoupled weight decay
                p[i] -= lr_f * (mm[i] * inv_bc1) / (std::sqrt(vv[i] * inv_bc2) + eps);
            }
        }
        return norm;
    }
};

// Optimizer-state file: header (magic, version, counts, step), the tensor table (so a state is
// never applied to a different model), then f32 master params, m and v. Written to a temp file
// and renamed.
static const char kStateMagic[8] = {'D', 'G', 'A', 'D', 'A', 'M', 'W', '1'};

inline void save_state(const std::string& path, const Layout& layout, const std::vector<float>& params, const AdamW& opt,
                       int64_t samples_seen) {
    const std::string tmp = path + ".tmp";
    FILE* f = std::fopen(tmp.c_str(), "wb");
    if (!f) throw std::runtime_error(tmp + ": cannot create");
    auto put = [&](const void* p, size_t n) {
        if (fwrite(p, 1, n, f) != n) { std::fclose(f); throw std::runtime_error(tmp + ": write failed (disk full?)"); }
    };
    const uint32_t version = 1, n_tensors = (uint32_t)layout.tensors.size();
    const uint64_t n = params.size();
    const int64_t step = opt.step;
    put(kStateMagic, 8); put(&version, 4); put(&n_tensors, 4); put(&n, 8); put(&step, 8); put(&samples_seen, 8);
    for (const TensorSpec& t : layout.tensors) {
        const uint32_t len = (uint32_t)t.name.size();
        const uint64_t size = t.size;
        put(&len, 4); put(t.name.data(), len); put(&size, 8);
    }
    put(params.data(), 4 * n); put(opt.m.data(), 4 * n); put(opt.v.data(), 4 * n);
    if (std::fflush(f) != 0 || fsync(fileno(f)) != 0) { std::fclose(f); throw std::runtime_error(tmp + ": flush failed"); }
    std::fclose(f);
    if (std::rename(tmp.c_str(), path.c_str()) != 0) throw std::runtime_error(path + ": rename failed");
}

inline void load_state(const std::string& path, const Layout& layout, std::vector<float>& params, AdamW& opt,
                       int64_t* samples_seen) {
    FILE* f = std::fopen(path.c_str(), "rb");
    if (!f) throw std::runtime_error(path + ": cannot open; --resume needs a previous run's optimizer state in --out");
    auto get = [&](void* p, size_t n) {
        if (fread(p, 1, n, f) != n) { std::fclose(f); throw std::runtime_error(path + ": truncated optimizer state; delete it to start over"); }
    };
    char magic[8];
    uint32_t version, n_tensors;
    uint64_t n;
    int64_t step;
    get(magic, 8); get(&version, 4); get(&n_tensors, 4); get(&n, 8); get(&step, 8); get(samples_seen, 8);
    if (std::memcmp(magic, kStateMagic, 8) != 0 || version != 1) {
        std::fclose(f);
        throw std::runtime_error(path + ": not a datagen optimizer state (bad magic or version)");
    }
    if (n != layout.total || n_tensors != layout.tensors.size()) {
        std::fclose(f);
        throw std::runtime_error(path + ": optimizer state is for a model with " + std::to_string(n) + " parameters, this one has " +
                                 std::to_string(layout.total) + "; resume with the same --model");
    }
    for (const TensorSpec& t : layout.tensors) {
        uint32_t len;
        get(&len, 4);
        std::string name(len, '\0');
        get(&name[0], len);
        uint64_t size;
        get(&size, 8);
        if (name != t.name || size != t.size) {
            std::fclose(f);
            throw std::runtime_error(path + ": optimizer state tensor " + name + " does not match the model's " + t.name);
        }
    }
    params.resize(n); opt.m.resize(n); opt.v.resize(n);
    get(params.data(), 4 * n); get(opt.m.data(), 4 * n); get(opt.v.data(), 4 * n);
    opt.step = step;
    std::fclose(f);
}

}  // namespace gptoss
