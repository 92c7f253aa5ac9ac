// N-API entry points of the longrl native engine. Typed arrays cross zero-copy
// (napi_get_typedarray_info gives the data pointer of the view, offset included);
// sizes are validated on the TypeScript side (src/engine/native.ts) and again here
// where a wrong size would read or write out of bounds.
#include <node_api.h>

#include <chrono>
#include <mutex>
#include <ctime>
#include <cmath>
#include <cstdlib>
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "pool.h"
#include "table.h"

namespace {

using lrl::KernelTable;

struct Cpu {
  bool avx512 = false, avx2 = false, fma = false, f16c = false, avx512bf16 = false, avx512vnni = false, sse2 = false;
};

Cpu detect() {
  Cpu c;
#if defined(__x86_64__) || defined(__i386__)
  __builtin_cpu_init();
  c.sse2 = __builtin_cpu_supports("sse2");
  c.avx2 = __builtin_cpu_supports("avx2");
  c.fma = __builtin_cpu_supports("fma");
  c.f16c = __builtin_cpu_supports("f16c");
  c.avx512 = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl") &&
             __builtin_cpu_supports("avx512dq");
  c.avx512bf16 = __builtin_cpu_supports("avx512bf16");
  c.avx512vnni = __builtin_cpu_supports("avx512vnni");
#endif
  return c;
}

const Cpu& cpu() { static Cpu c = detect(); return c; }

const KernelTable* best_table(const std::string& want) {
  const Cpu& c = cpu();
  bool can512 = c.avx512 && c.fma, can2 = c.avx2 && c.fma;
  if ((want == "avx512" || want.empty()) && can512) return lrl::table_avx512();
  if ((want == "avx512" || want == "avx2" || want.empty()) && can2) return lrl::table_avx2();
  return lrl::table_portable();
}

const KernelTable* g_table = nullptr;
// One kernel at a time per process: the pool and the kernels' call buffers are shared,
// and JS worker threads could otherwise enter concurrently.
std::mutex g_kernel_mutex;
#define KERNEL_LOCK std::lock_guard<std::mutex> kernel_lock_(g_kernel_mutex)

const KernelTable& T() {
  if (!g_table) {
    const char* env = std::getenv("LONGRL_ISA");
    g_table = best_table(env ? env : "");
  }
  return *g_table;
}

// ---- argument helpers ----
void throw_range(napi_env env, const std::string& msg) { napi_throw_range_error(env, nullptr, msg.c_str()); }

struct Args {
  napi_env env;
  napi_value argv[24];
  size_t argc = 24;
  bool ok = true;
  const char* fn;

  Args(napi_env e, napi_callback_info info, const char* name, size_t need) : env(e), fn(name) {
    if (napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr) != napi_ok || argc < need) {
      fail(std::string(name) + ": expected " + std::to_string(need) + " arguments");
    }
  }
  void fail(const std::string& m) {
    if (ok) throw_range(env, m);
    ok = false;
  }
  double num(size_t i) {
    double d = 0;
    if (ok && napi_get_value_double(env, argv[i], &d) != napi_ok) fail(std::string(fn) + ": argument " + std::to_string(i) + " must be a number");
    return d;
  }
  long lng(size_t i) { return (long)num(i); }
  bool flag(size_t i) {
    bool b = false;
    if (ok && napi_get_value_bool(env, argv[i], &b) != napi_ok) fail(std::string(fn) + ": argument " + std::to_string(i) + " must be a boolean");
    return b;
  }
  bool is_null(size_t i) {
    napi_valuetype t;
    napi_typeof(env, argv[i], &t);
    return t == napi_null || t == napi_undefined;
  }
  void* typed(size_t i, napi_typedarray_type want, size_t* len, bool nullable = false) {
    *len = 0;
    if (!ok) return nullptr;
    if (nullable && is_null(i)) return nullptr;
    bool is = false;
    napi_is_typedarray(env, argv[i], &is);
    if (!is) { fail(std::string(fn) + ": argument " + std::to_string(i) + " must be a typed array"); return nullptr; }
    napi_typedarray_type t;
    void* data = nullptr;
    napi_value ab;
    size_t off;
    napi_get_typedarray_info(env, argv[i], &t, len, &data, &ab, &off);
    if (t != want) { fail(std::string(fn) + ": argument " + std::to_string(i) + " has the wrong element type"); return nullptr; }
    return data;
  }
  float* f32(size_t i, size_t need, bool nullable = false) {
    size_t n;
    float* p = (float*)typed(i, napi_float32_array, &n, nullable);
    if (ok && p && n < need) fail(std::string(fn) + ": argument " + std::to_string(i) + " has " + std::to_string(n) + " elements, needs " + std::to_string(need));
    return p;
  }
  int32_t* i32(size_t i, size_t need) {
    size_t n;
    int32_t* p = (int32_t*)typed(i, napi_int32_array, &n);
    if (ok && n < need) fail(std::string(fn) + ": argument " + std::to_string(i) + " too short");
    return p;
  }
  uint16_t* u16(size_t i, size_t* n) { return (uint16_t*)typed(i, napi_uint16_array, n); }
};

static size_t span(long rows, long cols, long ld) { return rows <= 0 || cols <= 0 ? 0 : (size_t)((rows - 1) * ld + cols); }

napi_value undef(napi_env env) { napi_value u; napi_get_undefined(env, &u); return u; }

napi_value Sgemm(napi_env env, napi_callback_info info) {
  Args a(env, info, "sgemm", 13);
  bool ta = a.flag(0), tb = a.flag(1);
  long M = a.lng(2), N = a.lng(3), K = a.lng(4);
  float alpha = (float)a.num(5);
  long lda = a.lng(7), ldb = a.lng(9), ldc = a.lng(12);
  float beta = (float)a.num(10);
  const float* A = a.f32(6, ta ? span(K, M, lda) : span(M, K, lda));
  const float* B = a.f32(8, tb ? span(N, K, ldb) : span(K, N, ldb));
  float* C = a.f32(11, span(M, N, ldc));
  if (!a.ok) return nullptr;
  KERNEL_LOCK;
  T().sgemm(ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
  return undef(env);
}

bool attn_common(Args& a, lrl::AttnArgs& p, size_t base) {
  p.Tq = a.lng(base + 0); p.Tk = a.lng(base + 1); p.H = a.lng(base + 2); p.Hkv = a.lng(base + 3); p.D = a.lng(base + 4);
  p.scale = (float)a.num(base + 5); p.causal = a.flag(base + 6); p.qPos0 = a.lng(base + 7);
  p.qS = a.lng(base + 8); p.kvS = a.lng(base + 9); p.oS = a.lng(base + 10);
  if (a.ok && (p.Hkv <= 0 || p.H % p.Hkv != 0)) a.fail("attention: H must be a multiple of Hkv");
  return a.ok;
}

napi_value AttnFwd(napi_env env, napi_callback_info info) {
  Args a(env, info, "attnFwd", 16);
  lrl::AttnArgs p{};
  if (!attn_common(a, p, 5)) return nullptr;
  p.q = a.f32(0, span(p.Tq, p.H * p.D, p.qS));
  p.k = a.f32(1, span(p.Tk, p.Hkv * p.D, p.kvS));
  p.v = a.f32(2, span(p.Tk, p.Hkv * p.D, p.kvS));
  p.out = a.f32(3, span(p.Tq, p.H * p.D, p.oS));
  p.lse = a.f32(4, p.Tq * p.H, true);
  if (!a.ok) return nullptr;
  KERNEL_LOCK;
  if (p.Tq > 0 && p.H > 0) T().attn_fwd(p);
  return undef(env);
}

napi_value AttnBwd(napi_env env, napi_callback_info info) {
  Args a(env, info, "attnBwd", 20);
  lrl::AttnArgs p{};
  if (!attn_common(a, p, 9)) return nullptr;
  p.q = a.f32(0, span(p.Tq, p.H * p.D, p.qS));
  p.k = a.f32(1, span(p.Tk, p.Hkv * p.D, p.kvS));
  p.v = a.f32(2, span(p.Tk, p.Hkv * p.D, p.kvS));
  p.out = a.f32(3, span(p.Tq, p.H * p.D, p.oS));
  p.lse = a.f32(4, p.Tq * p.H);
  p.dout = a.f32(5, span(p.Tq, p.H * p.D, p.oS));
  p.dq = a.f32(6, span(p.Tq, p.H * p.D, p.qS));
  p.dk = a.f32(7, span(p.Tk, p.Hkv * p.D, p.kvS));
  p.dv = a.f32(8, span(p.Tk, p.Hkv * p.D, p.kvS));
  if (!a.ok) return nullptr;
  KERNEL_LOCK;
  if (p.H > 0 && (p.Tq > 0 || p.Tk > 0)) T().attn_bwd(p);
  return undef(env);
}

napi_value RmsFwd(napi_env env, napi_callback_info info) {
  Args a(env, info, "rmsnormFwd", 7);
  long rows = a.lng(4), dim = a.lng(5);
  float eps = (float)a.num(6);
  const float* x = a.f32(0, rows * dim);
  const float* w = a.f32(1, dim);
  float* out = a.f32(2, rows * dim);
  float* rstd = a.f32(3, rows);
  if (!a.ok) return nullptr;
  KERNEL_LOCK;
  T().rmsnorm_fwd(x, w, out, rstd, rows, dim, eps);
  return undef(env);
}

napi_value RmsBwd(napi_env env, napi_callback_info info) {
  Args a(env, info, "rmsnormBwd", 8);
  long rows = a.lng(6), dim = a.lng(7);
  const float* x = a.f32(0, rows * dim);
  const float* w = a.f32(1, dim);
  const float* rstd = a.f32(2, rows);
  const float* dout = a.f32(3, rows * dim);
  float* dx = a.f32(4, rows * dim);
  float* dw = a.f32(5, dim);
  if (!a.ok) return nullptr;
  KERNEL_LOCK;
  T().rmsnorm_bwd(x, w, rstd, dout, dx, dw, rows, dim);
  return undef(env);
}

napi_value Rope(napi_env env, napi_callback_info info) {
  Args a(env, info, "rope", 9);
  long rows = a.lng(1), nh = a.lng(2), hd = a.lng(3), rs = a.lng(4);
  float sign = (float)a.num(8);
  float* x = a.f32(0, span(rows, nh * hd, rs));
  const int32_t* pos = a.i32(5, rows);
  size_t nc = 0, ns = 0;
  const float* c = (const float*)a.typed(6, napi_float32_array, &nc);
  const float* s = (const float*)a.typed(7, napi_float32_array, &ns);
  if (!a.ok) return nullptr;
  long half = hd / 2;
  for (long r = 0; r < rows && half > 0; r++)
    if (pos[r] < 0 || (size_t)(pos[r] + 1) * half > std::min(nc, ns)) { a.fail("rope: position outside the cos/sin tables"); return nullptr; }
  KERNEL_LOCK;
  T().rope(x, rows, nh, hd, rs, pos, c, s, sign);
  return undef(env);
}

napi_value SwiFwd(napi_env env, napi_callback_info info) {
  Args a(env, info, "swigluFwd", 4);
  long n = a.lng(3);
  const float* g = a.f32(0, n); const float* u = a.f32(1, n); float* o = a.f32(2, n);
  if (!a.ok) return nullptr;
  KERNEL_LOCK;
  T().swiglu_fwd(g, u, o, n);
  return undef(env);
}

napi_value SwiBwd(napi_env env, napi_callback_info info) {
  Args a(env, info, "swigluBwd", 6);
  long n = a.lng(5);
  const float* g = a.f32(0, n); const float* u = a.f32(1, n); const float* d = a.f32(2, n);
  float* dg = a.f32(3, n); float* du = a.f32(4, n);
  if (!a.ok) return nullptr;
  KERNEL_LOCK;
  T().swiglu_bwd(g, u, d, dg, du, n);
  return undef(env);
}

bool ids_ok(Args& a, const int32_t* ids, size_t n, size_t tableRows) {
  for (size_t i = 0; i < n && a.ok; i++)
    if (ids[i] < 0 || (size_t)ids[i] >= tableRows) a.fail("embedding: id outside the table");
  return a.ok;
}

napi_value EmbFwd(napi_env env, napi_callback_info info) {
  Args a(env, info, "embFwd", 4);
  long dim = a.lng(3);
  size_t nt = 0, ni = 0;
  const float* table = (const float*)a.typed(0, napi_float32_array, &nt);
  const int32_t* ids = (const int32_t*)a.typed(1, napi_int32_array, &ni);
  float* out = a.f32(2, ni * dim);
  if (!a.ok || dim <= 0 || !ids_ok(a, ids, ni, nt / dim)) return a.ok ? undef(env) : nullptr;
  KERNEL_LOCK;
  T().emb_fwd(table, ids, (long)ni, out, dim);
  return undef(env);
}

napi_value EmbBwd(napi_env env, napi_callback_info info) {
  Args a(env, info, "embBwd", 4);
  long dim = a.lng(3);
  size_t nt = 0, ni = 0;
  const int32_t* ids = (const int32_t*)a.typed(1, napi_int32_array, &ni);
  const float* dout = a.f32(0, ni * dim);
  float* table = (float*)a.typed(2, napi_float32_array, &nt);
  if (!a.ok || dim <= 0 || !ids_ok(a, ids, ni, nt / dim)) return a.ok ? undef(env) : nullptr;
  KERNEL_LOCK;
  T().emb_bwd(dout, ids, (long)ni, table, dim);
  return undef(env);
}

bool targets_ok(Args& a, const int32_t* t, long rows, long vocab) {
  for (long r = 0; r < rows && a.ok; r++)
    if (t[r] >= vocab) a.fail("logprob: target >= vocab");
  return a.ok;
}

napi_value LpFwd(napi_env env, napi_callback_info info) {
  Args a(env, info, "logprobFwd", 8);
  long rows = a.lng(1), vocab = a.lng(2);
  float invT = (float)a.num(4);
  const float* logits = a.f32(0, rows * vocab);
  const int32_t* t = a.i32(3, rows);
  float* lp = a.f32(5, rows);
  float* ent = a.f32(6, rows, true);
  float* lse = a.f32(7, rows);
  if (!a.ok || !targets_ok(a, t, rows, vocab)) return nullptr;
  KERNEL_LOCK;
  if (vocab > 0) T().logprob_fwd(logits, rows, vocab, t, invT, lp, ent, lse);
  return undef(env);
}

napi_value LpBwd(napi_env env, napi_callback_info info) {
  Args a(env, info, "logprobBwd", 9);
  long rows = a.lng(1), vocab = a.lng(2);
  float invT = (float)a.num(4);
  const float* logits = a.f32(0, rows * vocab);
  const int32_t* t = a.i32(3, rows);
  const float* lse = a.f32(5, rows);
  const float* dlp = a.f32(6, rows);
  const float* dent = a.f32(7, rows, true);
  float* dl = a.f32(8, rows * vocab);
  if (!a.ok || !targets_ok(a, t, rows, vocab)) return nullptr;
  KERNEL_LOCK;
  if (vocab > 0) T().logprob_bwd(logits, rows, vocab, t, invT, lse, dlp, dent, dl);
  return undef(env);
}

napi_value AdamW(napi_env env, napi_callback_info info) {
  Args a(env, info, "adamw", 11);
  size_t n = 0;
  float* p = (float*)a.typed(0, napi_float32_array, &n);
  const float* g = a.f32(1, n);
  float* m = a.f32(2, n);
  float* v = a.f32(3, n);
  double lr = a.num(4), b1 = a.num(5), b2 = a.num(6), eps = a.num(7), wd = a.num(8), step = a.num(9), gs = a.num(10);
  if (!a.ok) return nullptr;
  double bc1 = 1.0 - std::pow(b1, step), bc2s = std::sqrt(1.0 - std::pow(b2, step));
  KERNEL_LOCK;
  T().adamw(p, g, m, v, (long)n, (float)lr, (float)b1, (float)b2, (float)eps, (float)wd, bc1, bc2s, (float)gs);
  return undef(env);
}

napi_value SumSquares(napi_env env, napi_callback_info info) {
  Args a(env, info, "sumSquares", 1);
  size_t n = 0;
  const float* x = (const float*)a.typed(0, napi_float32_array, &n);
  if (!a.ok) return nullptr;
  napi_value r;
  double ss;
  {
    KERNEL_LOCK;
    ss = T().sum_squares(x, (long)n);
  }
  napi_create_double(env, ss, &r);
  return r;
}

napi_value Axpy(napi_env env, napi_callback_info info) {
  Args a(env, info, "axpy", 4);
  long n = a.lng(0);
  float al = (float)a.num(1);
  const float* x = a.f32(2, n);
  float* y = a.f32(3, n);
  if (!a.ok) return nullptr;
  KERNEL_LOCK;
  T().axpy(n, al, x, y);
  return undef(env);
}

template <int Kind>
napi_value Convert(napi_env env, napi_callback_info info) {
  Args a(env, info, "convert", 2);
  size_t n = 0, m = 0;
  if (Kind <= 1) {
    const uint16_t* s = a.u16(0, &n);
    float* d = (float*)a.typed(1, napi_float32_array, &m);
    if (a.ok && m < n) a.fail("convert: dst shorter than src");
    if (!a.ok) return nullptr;
    KERNEL_LOCK;
    if (Kind == 0) T().bf16_to_f32(s, d, (long)n); else T().f16_to_f32(s, d, (long)n);
  } else {
    const float* s = (const float*)a.typed(0, napi_float32_array, &n);
    uint16_t* d = a.u16(1, &m);
    if (a.ok && m < n) a.fail("convert: dst shorter than src");
    if (!a.ok) return nullptr;
    KERNEL_LOCK;
    if (Kind == 2) T().f32_to_bf16(s, d, (long)n); else T().f32_to_f16(s, d, (long)n);
  }
  return undef(env);
}

// Fused decode step (native/decode.inc): decodeStep(W, plan, cos, sin, ids, rows, caches, logits).
// plan (Float64Array): layers, hidden, H, Hkv, D, inter, vocab, eps, qkNorm, then element
// offsets into W of embed, finalNorm, lmHead, then per layer inNorm, qkvW, qkvB, qNorm,
// kNorm, oW, postNorm, gateW, upW, downW (-1: absent). rows (Int32Array, 4 per row):
// prefix cache index, prefix length, suffix cache index (-1: none), suffix length.
// caches: an array of Float32Array, each [2][layers][cap][Hkv*D]. Every size, offset,
// position and id is checked here, so a bad call throws instead of touching memory.
napi_value DecodeStep(napi_env env, napi_callback_info info) {
  Args a(env, info, "decodeStep", 8);
  if (!a.ok) return nullptr;
  size_t nW = 0, nPlan = 0, nc = 0, ns = 0, nIds = 0, nRows = 0;
  float* W = (float*)a.typed(0, napi_float32_array, &nW);
  const double* plan = (const double*)a.typed(1, napi_float64_array, &nPlan);
  const float* cosT = (const float*)a.typed(2, napi_float32_array, &nc);
  const float* sinT = (const float*)a.typed(3, napi_float32_array, &ns);
  const int32_t* ids = (const int32_t*)a.typed(4, napi_int32_array, &nIds);
  const int32_t* rowsIn = (const int32_t*)a.typed(5, napi_int32_array, &nRows);
  if (!a.ok) return nullptr;
  if (nPlan < 12) { a.fail("decodeStep: plan too short"); return nullptr; }
  lrl::DecodeArgs d{};
  d.layers = (long)plan[0]; d.hidden = (long)plan[1]; d.H = (long)plan[2]; d.Hkv = (long)plan[3]; d.D = (long)plan[4];
  d.inter = (long)plan[5]; d.vocab = (long)plan[6]; d.eps = (float)plan[7]; d.qkNorm = plan[8] != 0;
  d.M = (long)nIds;
  if (d.layers < 1 || d.hidden < 1 || d.H < 1 || d.Hkv < 1 || d.D < 2 || d.D % 2 || d.H % d.Hkv || d.inter < 1 || d.vocab < 1)
    { a.fail("decodeStep: bad dimensions"); return nullptr; }
  if (nPlan < (size_t)(12 + 10 * d.layers)) { a.fail("decodeStep: plan too short for its layers"); return nullptr; }
  if (nRows < (size_t)(4 * d.M)) { a.fail("decodeStep: rows too short"); return nullptr; }
  const long hid = d.hidden, qDim = d.H * d.D, kvD = d.Hkv * d.D, qkvDim = qDim + 2 * kvD, I = d.inter;
  auto wptr = [&](double off, long size, bool nullable) -> const float* {
    if (off < 0) { if (!nullable) a.fail("decodeStep: a required weight is missing"); return nullptr; }
    if (off + (double)size > (double)nW) { a.fail("decodeStep: a weight lies outside the weight buffer"); return nullptr; }
    return W + (size_t)off;
  };
  d.embed = wptr(plan[9], d.vocab * hid, false);
  d.finalNorm = wptr(plan[10], hid, false);
  d.lmHead = wptr(plan[11], d.vocab * hid, false);
  std::vector<lrl::DecodeLayer> L((size_t)d.layers);
  for (long l = 0; l < d.layers && a.ok; l++) {
    const double* o = plan + 12 + 10 * l;
    L[l] = {wptr(o[0], hid, false), wptr(o[1], qkvDim * hid, false), wptr(o[2], qkvDim, true), wptr(o[3], d.D, !d.qkNorm),
            wptr(o[4], d.D, !d.qkNorm), wptr(o[5], hid * qDim, false), wptr(o[6], hid, false), wptr(o[7], I * hid, false),
            wptr(o[8], I * hid, false), wptr(o[9], hid * I, false)};
  }
  if (!a.ok) return nullptr;
  d.logits = a.f32(7, (size_t)d.M * d.vocab);
  if (!a.ok) return nullptr;
  // Caches.
  bool isArr = false;
  napi_is_array(env, a.argv[6], &isArr);
  if (!isArr) { a.fail("decodeStep: caches must be an array"); return nullptr; }
  uint32_t nCaches = 0;
  napi_get_array_length(env, a.argv[6], &nCaches);
  std::vector<float*> cptr(nCaches);
  std::vector<long> ccap(nCaches);
  for (uint32_t i = 0; i < nCaches; i++) {
    napi_value el;
    napi_get_element(env, a.argv[6], i, &el);
    bool is = false;
    napi_is_typedarray(env, el, &is);
    napi_typedarray_type t;
    size_t len = 0;
    void* data = nullptr;
    if (is) napi_get_typedarray_info(env, el, &t, &len, &data, nullptr, nullptr);
    if (!is || t != napi_float32_array) { a.fail("decodeStep: caches must hold Float32Arrays"); return nullptr; }
    cptr[i] = (float*)data;
    ccap[i] = (long)(len / (size_t)(2 * d.layers * kvD));
  }
  std::vector<lrl::DecodeRow> rows((size_t)d.M);
  const long half = d.D / 2;
  const size_t tab = std::min(nc, ns);
  for (long r = 0; r < d.M; r++) {
    const int32_t* ri = rowsIn + 4 * r;
    if (ids[r] < 0 || ids[r] >= d.vocab) { a.fail("decodeStep: token id outside the vocabulary"); return nullptr; }
    if (ri[0] < 0 || (uint32_t)ri[0] >= nCaches || ri[2] >= (int32_t)nCaches || ri[1] < 0 || ri[3] < 0)
      { a.fail("decodeStep: bad cache index or length"); return nullptr; }
    lrl::DecodeRow& row = rows[r];
    row.pre = cptr[ri[0]]; row.preCap = ccap[ri[0]]; row.preLen = ri[1];
    row.suf = ri[2] >= 0 ? cptr[ri[2]] : nullptr; row.sufCap = ri[2] >= 0 ? ccap[ri[2]] : 0; row.sufLen = ri[2] >= 0 ? ri[3] : 0;
    if (row.suf ? (row.preLen > row.preCap || row.sufLen + 1 > row.sufCap) : row.preLen + 1 > row.preCap)
      { a.fail("decodeStep: KV cache overflow"); return nullptr; }
    const long pos = row.preLen + row.sufLen;
    if ((size_t)(pos + 1) * half > tab) { a.fail("decodeStep: position outside the cos/sin tables"); return nullptr; }
  }
  d.L = L.data(); d.rows = rows.data(); d.ids = ids; d.cos = cosT; d.sin = sinT;
  KERNEL_LOCK;
  if (d.M > 0) T().decode_step(d);
  return undef(env);
}

napi_value SetThreads(napi_env env, napi_callback_info info) {
  Args a(env, info, "setThreads", 1);
  long n = a.lng(0);
  if (!a.ok) return nullptr;
  KERNEL_LOCK;
  lrl::pool_set_threads((int)n);
  napi_value r;
  napi_create_int32(env, lrl::pool_threads(), &r);
  return r;
}

napi_value SetIsa(napi_env env, napi_callback_info info) {
  Args a(env, info, "setIsa", 1);
  if (!a.ok) return nullptr;
  char buf[32] = {0};
  size_t len;
  napi_get_value_string_utf8(env, a.argv[0], buf, sizeof buf, &len);
  KERNEL_LOCK;
  g_table = best_table(buf);
  napi_value r;
  napi_create_string_utf8(env, g_table->isa, NAPI_AUTO_LENGTH, &r);
  return r;
}

napi_value set_bool(napi_env env, napi_value obj, const char* k, bool v) {
  napi_value b;
  napi_get_boolean(env, v, &b);
  napi_set_named_property(env, obj, k, b);
  return obj;
}

napi_value Info(napi_env env, napi_callback_info) {
  napi_value o, f, s, n;
  napi_create_object(env, &o);
  napi_create_string_utf8(env, T().isa, NAPI_AUTO_LENGTH, &s);
  napi_set_named_property(env, o, "isa", s);
  napi_create_int32(env, lrl::pool_threads(), &n);
  napi_set_named_property(env, o, "threads", n);
  napi_create_int32(env, lrl::pool_cores(), &n);
  napi_set_named_property(env, o, "cores", n);
  napi_create_object(env, &f);
  const Cpu& c = cpu();
  set_bool(env, f, "sse2", c.sse2);
  set_bool(env, f, "avx2", c.avx2);
  set_bool(env, f, "fma", c.fma);
  set_bool(env, f, "f16c", c.f16c);
  set_bool(env, f, "avx512", c.avx512);
  set_bool(env, f, "avx512bf16", c.avx512bf16);
  set_bool(env, f, "avx512vnni", c.avx512vnni);
  napi_set_named_property(env, o, "features", f);
  return o;
}

// FP32 peak: every thread runs the FMA loop for about `seconds`; FLOPs / wall time.
napi_value PeakFlops(napi_env env, napi_callback_info info) {
  Args a(env, info, "peakFlops", 2);
  long threads = a.lng(0);
  double seconds = a.num(1);
  if (!a.ok) return nullptr;
  KERNEL_LOCK;
  const KernelTable& t = T();
  t.fma_loop(1 << 16);  // warm up clocks and code
  long iters = 1 << 16;
  for (;;) {  // calibrate on one thread
    auto t0 = std::chrono::steady_clock::now();
    t.fma_loop(iters);
    double dt = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (dt > 0.02) { iters = (long)(iters * seconds / dt) + 1; break; }
    iters *= 4;
  }
  int want = (int)threads;
  std::vector<double> flops(64, 0.0), cpu(64, 0.0);
  auto t0 = std::chrono::steady_clock::now();
  lrl::pool_run(want, [&](int tid, int) {
    timespec a, b;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &a);
    flops[tid] = t.fma_loop(iters);
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &b);
    cpu[tid] = (b.tv_sec - a.tv_sec) + 1e-9 * (b.tv_nsec - a.tv_nsec);
  });
  double dt = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  double total = 0, perCpu = 0;
  for (int i = 0; i < 64; i++) {
    total += flops[i];
    if (cpu[i] > 0) perCpu += flops[i] / cpu[i];
  }
  // {wall: FLOP/s over wall time, cpu: sum over threads of FLOP per thread-CPU-second}
  napi_value r, w, c;
  napi_create_object(env, &r);
  napi_create_double(env, total / dt, &w);
  napi_create_double(env, perCpu, &c);
  napi_set_named_property(env, r, "wall", w);
  napi_set_named_property(env, r, "cpu", c);
  return r;
}

// STREAM-like copy bandwidth (McCalpin's "Copy": a[i] = b[i], 2 x 4 bytes per element
// counted) over `mb` MB per array on `threads` threads; best of `reps`. Bytes per second.
napi_value StreamCopy(napi_env env, napi_callback_info info) {
  Args a(env, info, "streamCopy", 3);
  long threads = a.lng(0), mb = a.lng(1), reps = a.lng(2);
  if (!a.ok) return nullptr;
  KERNEL_LOCK;
  const size_t n = (size_t)std::max(1L, mb) * (1 << 20) / sizeof(float);
  std::vector<float> src(n, 1.f), dst(n, 0.f);
  double best = 1e30;
  for (long r = 0; r < std::max(1L, reps); r++) {
    auto t0 = std::chrono::steady_clock::now();
    lrl::pool_run((int)threads, [&](int tid, int nt) {
      long b, e;
      lrl::split_range((long)n, tid, nt, &b, &e);
      std::memcpy(dst.data() + b, src.data() + b, (size_t)(e - b) * sizeof(float));
    });
    best = std::min(best, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  }
  napi_value v;
  napi_create_double(env, 2.0 * n * sizeof(float) / best, &v);
  return v;
}

napi_value Init(napi_env env, napi_value exports) {
  struct { const char* name; napi_callback cb; } fns[] = {
    {"info", Info}, {"setThreads", SetThreads}, {"streamCopy", StreamCopy}, {"setIsa", SetIsa}, {"peakFlops", PeakFlops},
    {"sgemm", Sgemm}, {"attnFwd", AttnFwd}, {"attnBwd", AttnBwd}, {"rmsnormFwd", RmsFwd}, {"rmsnormBwd", RmsBwd},
    {"rope", Rope}, {"swigluFwd", SwiFwd}, {"swigluBwd", SwiBwd}, {"embFwd", EmbFwd}, {"embBwd", EmbBwd},
    {"logprobFwd", LpFwd}, {"logprobBwd", LpBwd}, {"adamw", AdamW}, {"sumSquares", SumSquares}, {"axpy", Axpy},
    {"decodeStep", DecodeStep}, {"bf16ToF32", Convert<0>}, {"f16ToF32", Convert<1>}, {"f32ToBf16", Convert<2>}, {"f32ToF16", Convert<3>},
  };
  for (auto& f : fns) {
    napi_value fn;
    napi_create_function(env, f.name, NAPI_AUTO_LENGTH, f.cb, nullptr, &fn);
    napi_set_named_property(env, exports, f.name, fn);
  }
  return exports;
}

}  // namespace

NAPI_MODULE(NODE_GYP_MODULE_NAME, Init)
