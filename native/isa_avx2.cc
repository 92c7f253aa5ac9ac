// AVX2 + FMA build of the kernels (flags in binding.gyp: -mavx2 -mfma -mf16c).
#define LRL_W 8
#define LRL_NS lrl_avx2
#define LRL_ISA_NAME "avx2"
#include "kernels.inc"
const lrl::KernelTable* lrl::table_avx2() { return &lrl_avx2::kTable; }
