// Fast float path for the output head (the [vocab, n_embd] matrix dominates small models' steps).
// Same math as Model::head_forward / head_backward's reference loops; register-tiled with GCC vector
// extensions (8 floats = one AVX2 register). test_gpt_oss checks it against the reference loops.
// Requires n_embd % 64 == 0 (gpt-oss: 2880 = 45 x 64); otherwise the reference loops run.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

#include "parallel.h"

namespace gptoss {
namespace fast {

typedef float f8 __attribute__((vector_size(32)));

inline f8 load8(const float* p) { f8 v; std::memcpy(&v, p, sizeof v); return v; }
inline void store8(float* p, f8 v) { std::memcpy(p, &v, sizeof v); }
inline float hsum(f8 v) { return ((v[0] + v[4]) + (v[1] + v[5])) + ((v[2] + v[6]) + (v[3] + v[7])); }

typedef int i8 __attribute__((vector_size(32)));

// exp of 8 floats (Cephes expf: range reduction by ln 2, degree-6 polynomial; ~1 ulp).
inline f8 exp8(f8 x) {
    const f8 hi = f8{} + 88.3762626647949f, lo = f8{} - 87.3365447504f;
    x = x > hi ? hi : x;
    x = x < lo ? lo : x;
    const f8 fx = x * 1.44269504088896341f;
    const i8 n = __builtin_convertvector(fx + (fx >= 0 ? f8{} + 0.5f : f8{} - 0.5f), i8);  // round half away
    const f8 fn = __builtin_convertvector(n, f8);
    const f8 r = x - fn * 0.693359375f + fn * 2.12194440e-4f;
    f8 p = f8{} + 1.9875691500e-4f;
    p = p * r + 1.3981999507e-3f;
    p = p * r + 8.3334519073e-3f;
    p = p * r + 4.1665795894e-2f;
    p = p * r + 1.6666665459e-1f;
    p = p * r + 5.0000001201e-1f;
    p = p * r * r + r + 1.0f;
    const i8 bits = (n + 127) << 23;
    f8 scale;
    std::memcpy(&scale, &bits, sizeof scale);
    return p * scale;
}

// In place: row[V] (logits) becomes scale * softmax(row); returns log-sum-exp of the logits.
inline double softmax_row(float* row, int V, float scale) {
    f8 mx = f8{} - 3.0e38f;
    int v = 0;
    for (; v + 8 <= V; v += 8) { const f8 x = load8(row + v); mx = x > mx ? x : mx; }
    float m = mx[0];
    for (int k = 1; k < 8; k++) m = std::max(m, mx[k]);
    for (; v < V; v++) m = std::max(m, row[v]);
    f8 acc[4] = {};
    v = 0;
    for (; v + 32 <= V; v += 32)
        for (int k = 0; k < 4; k++) {
            const f8 e = exp8(load8(row + v + 8 * k) - m);
            store8(row + v + 8 * k, e);
            acc[k] += e;
        }
    double sum = 0;
    for (int k = 0; k < 4; k++)
        for (int j = 0; j < 8; j++) sum += acc[k][j];
    for (; v < V; v++) { row[v] = std::exp(row[v] - m); sum += row[v]; }
    const f8 c = f8{} + (float)(scale / sum);
    v = 0;
    for (; v + 8 <= V; v += 8) store8(row + v, load8(row + v) * c);
    for (; v < V; v++) row[v] *= (float)(scale / sum);
    return (double)m + std::log(sum);
}

// logits[R,V] = h[R,E] W[V,E]^T, in tiles of 2 rows x 4 vocabulary entries (8 accumulators).
inline void head_forward(float* logits, const float* h, const float* W, int R, int V, int E) {
#pragma omp parallel for schedule(static)
    for (int v0 = 0; v0 < V; v0 += 4) {
        const int nv = std::min(4, V - v0);
        for (int r0 = 0; r0 < R; r0 += 2) {
            const int nr = std::min(2, R - r0);
            f8 acc[2][4] = {};
            for (int e = 0; e < E; e += 8) {
                f8 w[4];
                for (int j = 0; j < 4; j++) w[j] = load8(W + (size_t)(v0 + (j < nv ? j : 0)) * E + e);
                for (int i = 0; i < 2; i++) {
                    const f8 x = load8(h + (size_t)(r0 + (i < nr ? i : 0)) * E + e);
                    for (int j = 0; j < 4; j++) acc[i][j] += x * w[j];
                }
            }
            for (int i = 0; i < nr; i++)
                for (int j = 0; j < nv; j++) logits[(size_t)(r0 + i) * V + v0 + j] = hsum(acc[i][j]);
        }
    }
}

// dW[V,E] += dlogits^T h and dh[R,E] += dlogits W. Each thread takes vocabulary blocks of 8, copies
// the block's dlogits column-wise (dl is [R,V]: a column is strided), then updates 64-float slices
// held in 8 registers.
inline void head_backward(float* dh, float* dW, const float* dlogits, const float* h, const float* W, int R, int V, int E) {
    const int B = 8;
    ThreadLocals<float> locals((size_t)R * E);  // dh partial sums, added in thread order below
#pragma omp parallel
    {
        std::vector<float>& local = locals.mine();
        std::vector<float> col((size_t)B * R);  // col[j * R + r] = dlogits[r, v0 + j]
#pragma omp for schedule(static)
        for (int v0 = 0; v0 < V; v0 += B) {
            const int nv = std::min(B, V - v0);
            for (int r = 0; r < R; r++)
                for (int j = 0; j < nv; j++) col[(size_t)j * R + r] = dlogits[(size_t)r * V + v0 + j];
            for (int j = 0; j < nv; j++) {  // dW row v0 + j
                float* gw = dW + (size_t)(v0 + j) * E;
                const float* c = &col[(size_t)j * R];
                for (int e0 = 0; e0 < E; e0 += 64) {
                    f8 acc[8];
                    for (int k = 0; k < 8; k++) acc[k] = load8(gw + e0 + 8 * k);
                    for (int r = 0; r < R; r++) {
                        const float d = c[r];
                        const float* x = h + (size_t)r * E + e0;
                        for (int k = 0; k < 8; k++) acc[k] += d * load8(x + 8 * k);
                    }
                    for (int k = 0; k < 8; k++) store8(gw + e0 + 8 * k, acc[k]);
                }
            }
            for (int r = 0; r < R; r++) {  // dh row r, from this block's vocabulary rows
                float* g = &local[(size_t)r * E];
                for (int e0 = 0; e0 < E; e0 += 64) {
                    f8 acc[8];
                    for (int k = 0; k < 8; k++) acc[k] = load8(g + e0 + 8 * k);
                    for (int j = 0; j < nv; j++) {
                        const float d = col[(size_t)j * R + r];
                        const float* w = W + (size_t)(v0 + j) * E + e0;
                        for (int k = 0; k < 8; k++) acc[k] += d * load8(w + 8 * k);
                    }
                    for (int k = 0; k < 8; k++) store8(g + e0 + 8 * k, acc[k]);
                }
            }
        }
    }
    locals.add_into(dh);
}

}  // namespace fast
}  // namespace gptoss
