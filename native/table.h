// The kernels one instruction set provides. kernels.inc is compiled three times (AVX-512,
// AVX2+FMA, portable) into separate translation units with their own compiler flags;
// addon.cc picks a table at run time from what the CPU supports.
#pragma once
#include <cstdint>

namespace lrl {

struct AttnArgs {
  const float* q; const float* k; const float* v;
  float* out; float* lse;               // lse may be null in forward
  const float* dout; float* dq; float* dk; float* dv;  // backward only
  long Tq, Tk, H, Hkv, D;
  float scale;
  bool causal;
  long qPos0;
  long qS, kvS, oS;
};

// Fused decode step (native/decode.inc): per-layer weight pointers, and per row its caches.
// A cache buffer holds K of every layer then V of every layer: [2][layers][cap][Hkv*D].
struct DecodeLayer {
  const float *inNorm, *qkvW, *qkvB, *qNorm, *kNorm, *oW, *postNorm, *gateW, *upW, *downW;  // qkvB/qNorm/kNorm may be null
};
struct DecodeRow {
  float* pre; long preLen, preCap;  // shared prefix (or the row's only cache when suf is null)
  float* suf; long sufLen, sufCap;  // the row's own generated tokens, or null
};
struct DecodeArgs {
  long M, layers, hidden, H, Hkv, D, inter, vocab;
  float eps;
  bool qkNorm;
  const float* embed; const float* finalNorm; const float* lmHead;
  const DecodeLayer* L;
  const DecodeRow* rows;
  const int32_t* ids;
  const float* cos; const float* sin;
  float* logits;  // [M, vocab]
};

struct KernelTable {
  const char* isa;
  void (*sgemm)(bool ta, bool tb, long M, long N, long K, float alpha, const float* A, long lda,
                const float* B, long ldb, float beta, float* C, long ldc);
  void (*attn_fwd)(const AttnArgs& a);
  void (*attn_bwd)(const AttnArgs& a);
  void (*rmsnorm_fwd)(const float* x, const float* w, float* out, float* rstd, long rows, long dim, float eps);
  void (*rmsnorm_bwd)(const float* x, const float* w, const float* rstd, const float* dout, float* dx, float* dw, long rows, long dim);
  void (*rope)(float* x, long rows, long nHeads, long headDim, long rowStride, const int32_t* pos, const float* cos, const float* sin, float sign);
  void (*swiglu_fwd)(const float* g, const float* u, float* out, long n);
  void (*swiglu_bwd)(const float* g, const float* u, const float* dout, float* dg, float* du, long n);
  void (*emb_fwd)(const float* table, const int32_t* ids, long n, float* out, long dim);
  void (*emb_bwd)(const float* dout, const int32_t* ids, long n, float* dtable, long dim);
  void (*logprob_fwd)(const float* logits, long rows, long vocab, const int32_t* targets, float invT, float* lp, float* ent, float* lse);
  void (*logprob_bwd)(const float* logits, long rows, long vocab, const int32_t* targets, float invT, const float* lse,
                      const float* dlp, const float* dent, float* dlogits);
  void (*adamw)(float* p, const float* g, float* m, float* v, long n, float lr, float b1, float b2, float eps, float wd,
                double bc1, double bc2sqrt, float gradScale);
  double (*sum_squares)(const float* x, long n);
  void (*axpy)(long n, float a, const float* x, float* y);
  void (*bf16_to_f32)(const uint16_t* s, float* d, long n);
  void (*f16_to_f32)(const uint16_t* s, float* d, long n);
  void (*f32_to_bf16)(const float* s, uint16_t* d, long n);
  void (*f32_to_f16)(const float* s, uint16_t* d, long n);
  // FLOPs done by an FMA loop of `iters` iterations on the calling thread.
  double (*fma_loop)(long iters);
  void (*decode_step)(const DecodeArgs& a);
};

const KernelTable* table_avx512();
const KernelTable* table_avx2();
const KernelTable* table_portable();

}  // namespace lrl
