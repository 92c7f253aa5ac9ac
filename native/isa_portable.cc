// Portable build of the kernels: baseline x86-64 (SSE2) or whatever the target's default is.
#define LRL_W 4
#define LRL_NS lrl_portable
#define LRL_ISA_NAME "portable"
#include "kernels.inc"
const lrl::KernelTable* lrl::table_portable() { return &lrl_portable::kTable; }
