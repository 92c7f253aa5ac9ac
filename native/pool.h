// A persistent pool of worker threads. `run(fn)` calls fn(tid, nthreads) on every thread
// (the caller is tid 0) and returns when all are done. Kernels split their work
// statically by tid, so a given thread count always gives the same split (and, with a
// fixed summation order inside each part, bit-identical results run to run).
#pragma once
#include <functional>

namespace lrl {

void pool_set_threads(int n);  // clamped to [1, hardware cores]
int pool_threads();
int pool_cores();
// Runs fn(tid, nthreads) on min(nthreads_wanted, pool_threads()) threads.
void pool_run(int nthreads_wanted, const std::function<void(int, int)>& fn);
inline void pool_run(const std::function<void(int, int)>& fn) { pool_run(1 << 30, fn); }

// [begin, end) of part `tid` of n items split into `parts` contiguous ranges.
inline void split_range(long n, int tid, int parts, long* b, long* e) {
  long q = n / parts, r = n % parts;
  *b = tid * q + (tid < r ? tid : r);
  *e = *b + q + (tid < r ? 1 : 0);
}

}  // namespace lrl
