// Vector helpers over GCC vector extensions: the same source compiles to 16-lane AVX-512,
// 8-lane AVX2 or 4-lane SSE2 code depending on LRL_W and the translation unit's flags.
#pragma once
#include <cstdint>
#include <cstring>
#if defined(__AVX512F__)
#include <immintrin.h>
#endif

#ifndef LRL_W
#error "define LRL_W (lanes per vector) before including simd.h"
#endif

namespace LRL_NS {

constexpr int W = LRL_W;
typedef float vf __attribute__((vector_size(W * 4)));
typedef int32_t vi __attribute__((vector_size(W * 4)));

static inline vf vload(const float* p) { vf v; std::memcpy(&v, p, sizeof v); return v; }
static inline void vstore(float* p, vf v) { std::memcpy(p, &v, sizeof v); }
static inline vf vset(float x) { return x - (vf){}; }  // x - 0 folds to a broadcast (exact for every x)
static inline vf vmax(vf a, vf b) { return a > b ? a : b; }
static inline vf vmin(vf a, vf b) { return a < b ? a : b; }
static inline vf vsqrt(vf v) { vf r; for (int i = 0; i < W; i++) r[i] = __builtin_sqrtf(v[i]); return r; }
static inline float hsum(vf v) { float s = 0; for (int i = 0; i < W; i++) s += v[i]; return s; }
static inline vi lane_index() { vi r; for (int i = 0; i < W; i++) r[i] = i; return r; }

// exp's core for x already clamped to [-87.34, 88.38]: Cody-Waite range reduction
// x = n ln2 + r, |r| <= ln2/2, then Cephes' expf polynomial; returns e^r and sets n.
static inline vf exp_reduced(vf x, vf* n) {
  vf t = x * vset(1.44269504088896341f) + vset(12582912.f);  // round to nearest via the 1.5*2^23 trick
  *n = t - vset(12582912.f);
  vf r = x - *n * vset(0.693359375f);
  r = r - *n * vset(-2.12194440e-4f);
  vf p = vset(1.9875691500E-4f);
  p = p * r + vset(1.3981999507E-3f);
  p = p * r + vset(8.3334519073E-3f);
  p = p * r + vset(4.1665795894E-2f);
  p = p * r + vset(1.6666665459E-1f);
  p = p * r + vset(5.0000001201E-1f);
  return p * (r * r) + r + vset(1.f);
}

// exp(x), float32, max error about 1-2 ulp on [-87, 88]; exp(-inf) = 0, large x saturate.
static inline vf vexp(vf x) {
  const vf hi = vset(88.3762626647949f), lo = vset(-87.33654475f);
  vi under = x < lo;
  x = vmin(x, hi);
  x = vmax(x, lo);
  vf n;
  vf y = exp_reduced(x, &n);
  vi ni = __builtin_convertvector(n, vi);
  // n can be 128 at the top clamp: split the scale in two to stay finite.
  vi e1 = (ni >> 1) + 127, e2 = (ni - (ni >> 1)) + 127;
  vf s1 = (vf)(e1 << 23), s2 = (vf)(e2 << 23);
  y = y * s1 * s2;
  return under ? vset(0.f) : y;
}

// exp(x) for x <= 0 (softmax numerators: a score minus the running max, or -inf for a
// masked key), bit for bit vexp there (and up to 88): x >= -87.34 after the lower clamp puts
// n in [-126, 0], so no overflow clamp is needed and 2^n is one exact scale (vexp splits it
// in two for n = 128); on AVX-512 that scale is one vscalefps. About a third fewer
// instructions than vexp: the exp pass was ~28% of the attention forward.
// y * 2^n for integral n >= -127 or n = -inf: one vscalefps on AVX-512, else the exponent
// field built from n (clamped to -127, where the field is 0 and so is the result).
static inline vf times_pow2(vf y, vf n) {
#if defined(__AVX512F__)
  if constexpr (W == 16) return (vf)_mm512_scalef_ps((__m512)y, (__m512)n);
#endif
  const vi ni = __builtin_convertvector(vmax(n, vset(-127.f)), vi);
  return y * (vf)((ni + 127) << 23);
}

static inline vf vexp_nonpos(vf x) {
  const vf lo = vset(-87.33654475f);
  vi under = x < lo;
  vf n;
  const vf r = exp_reduced(vmax(x, lo), &n);  // sets n, in [-126, 0] here
  const vf y = times_pow2(r, n);
  return under ? vset(0.f) : y;
}

// 2^x for softmax numerators kept in log2 units (x <= 0: a score minus the running max, or
// -inf for a masked key): x = n + f with n = round(x), |f| <= 1/2, 2^f from a degree-5
// polynomial fitted for relative error with its constant term exactly 1 (1.9e-7 at most in
// float evaluation, against vexp's 1-2 ulp; 2^0 is exactly 1, so the online softmax sees no
// rescale when the running max holds), times 2^n. The attention kernels fold log2(e) into
// the score scale, as FlashAttention-2 does, which spares the range reduction's multiply
// and its two-step ln 2: 10 instructions against vexp_nonpos's 16 on AVX-512.
static inline vf vexp2_nonpos(vf x) {
  const vf magic = vset(12582912.f);       // 1.5 * 2^23: adding it rounds to an integer
  const vf n = (x + magic) - magic;        // -inf stays -inf
  const vf f = vmax(x - n, vset(-0.5f));   // -inf - -inf is NaN; vmax returns -0.5 then
  vf p = vset(1.326468540e-3f);
  p = p * f + vset(9.671504609e-3f);
  p = p * f + vset(5.550733954e-2f);
  p = p * f + vset(2.402224243e-1f);
  p = p * f + vset(6.931470037e-1f);
  p = p * f + vset(1.f);
  return times_pow2(p, n);  // 0 for a masked key's n = -inf
}

// Largest lane, by halving (max is exact in any order; a scan was a chain of W dependent
// compares on the attention forward's per-row critical path).
static inline float hmax(vf v) {
  float b[W];
  std::memcpy(b, &v, sizeof b);
  for (int w = W / 2; w >= 1; w /= 2)
    for (int i = 0; i < w; i++) b[i] = b[i + w] > b[i] ? b[i + w] : b[i];
  return b[0];
}

// In-register transpose of a W x W block (rows r[0..W-1]): log2(W) stages, each swapping
// the off-diagonal sub-blocks of size bb between rows i and i + bb.
template <int BB>
static inline void transpose_stage(vf* r) {
  vi lo, hi;
  for (int l = 0; l < W; l++) {
    lo[l] = (l & BB) ? W + l - BB : l;
    hi[l] = (l & BB) ? W + l : l + BB;
  }
  for (int i = 0; i < W; i++) {
    if (i & BB) continue;
    vf a = r[i], b = r[i + BB];
    r[i] = __builtin_shuffle(a, b, lo);
    r[i + BB] = __builtin_shuffle(a, b, hi);
  }
}

static inline void transpose_block(vf* r) {
  if constexpr (W >= 16) transpose_stage<8>(r);
  if constexpr (W >= 8) transpose_stage<4>(r);
  transpose_stage<2>(r);
  transpose_stage<1>(r);
}

static inline float sexp(float x) { return vexp(vset(x))[0]; }

}  // namespace LRL_NS
