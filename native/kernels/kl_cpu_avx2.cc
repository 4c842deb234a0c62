// The fused softmax-KL built for AVX2 + FMA (CMake compiles this file alone with -mavx2 -mfma
// -mf16c, links it last so that no inline function compiled here is the one the rest of the
// addon uses, and kl_cpu.cc calls it only on a CPU that has those instructions).
#if defined(__AVX2__) && defined(__FMA__)
#define CPU_CAPABILITY AVX2
#define CPU_CAPABILITY_AVX2
#define DP_KL_VARIANT avx2
#include "kernels/kl_cpu_impl.h"
#endif
