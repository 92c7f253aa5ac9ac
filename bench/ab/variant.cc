// One build of the kernels under its own namespace (LRL_NS) with C entry points named by
// AB_PREFIX, so that two builds (an old and a new native/) link into one A/B process.
// Compiled twice by scripts/kernel-ab.sh with -I pointing at each native/ directory.
#define LRL_W 16
#define LRL_ISA_NAME "avx512"
#include "kernels.inc"

#define AB_CAT2(a, b) a##b
#define AB_CAT(a, b) AB_CAT2(a, b)
extern "C" void AB_CAT(AB_PREFIX, _attn_fwd)(const lrl::AttnArgs* a) { LRL_NS::attn_fwd(*a); }
extern "C" void AB_CAT(AB_PREFIX, _attn_bwd)(const lrl::AttnArgs* a) { LRL_NS::attn_bwd(*a); }
extern "C" void AB_CAT(AB_PREFIX, _sgemm)(bool ta, bool tb, long M, long N, long K, const float* A, long lda, const float* B, long ldb, float* C,
                                          long ldc) {
  LRL_NS::sgemm(ta, tb, M, N, K, 1.f, A, lda, B, ldb, 0.f, C, ldc);
}
