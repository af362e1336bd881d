// Reductions across OpenMP threads in a fixed order, so two runs with the same thread count give
// bit-identical results (docs/DETERMINISM.md). OpenMP's `reduction` clause and a `critical` section
// both combine the threads' partial sums in whichever order the threads finish; float addition is
// not associative, so those results changed in their last bits from run to run.
#pragma once

#include <omp.h>

#include <cstddef>
#include <vector>

namespace gptoss {

// sum of term(i) for i in [0, n): thread t sums the t-th of T contiguous blocks (always the same
// block for the same n and T); the block sums are then added in thread order.
template <typename Term>
double ordered_sum(size_t n, Term term) {
    std::vector<double> part((size_t)omp_get_max_threads(), 0.0);
#pragma omp parallel
    {
        const size_t t = (size_t)omp_get_thread_num(), T = (size_t)omp_get_num_threads();
        const size_t lo = n * t / T, hi = n * (t + 1) / T;
        double s = 0;
#pragma omp simd reduction(+ : s)
        for (size_t i = lo; i < hi; i++) s += term(i);
        part[t] = s;
    }
    double total = 0;
    for (double p : part) total += p;
    return total;
}

// Per-thread accumulators of `size` values, added into `out` in thread order (0, 1, ...) by
// add_into(); inside a parallel region each thread writes only mine().
template <typename T>
struct ThreadLocals {
    std::vector<std::vector<T>> buffers;
    ThreadLocals(size_t size) : buffers((size_t)omp_get_max_threads(), std::vector<T>(size, T(0))) {}
    std::vector<T>& mine() { return buffers[(size_t)omp_get_thread_num()]; }
    void add_into(T* out) const {
        const size_t size = buffers[0].size();
#pragma omp parallel for schedule(static)
        for (size_t i = 0; i < size; i++)
            for (const std::vector<T>& b : buffers) out[i] += b[i];
    }
};

}  // namespace gptoss
