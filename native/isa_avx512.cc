// AVX-512 build of the kernels (flags in binding.gyp: -mavx512f -mavx512bw -mavx512vl -mavx512dq -mfma).
#define LRL_W 16
#define LRL_NS lrl_avx512
#define LRL_ISA_NAME "avx512"
#include "kernels.inc"
const lrl::KernelTable* lrl::table_avx512() { return &lrl_avx512::kTable; }
