#ifndef SPINDLE_COPENBLAS_SHIM_H
#define SPINDLE_COPENBLAS_SHIM_H
// OpenBLAS is NOT linked at build time: SpindleTrainer dlopen()s it at run time, after choosing
// OPENBLAS_CORETYPE from the CPU's features (OpenBLAS reads that variable in its load-time
// constructor, so setenv() in main is too late for a linked library). This header only declares the
// C signatures of the few symbols resolved with dlsym, and a cpuid probe.
#include <stdint.h>

// CBLAS enum values (cblas.h): row-major 101, no-transpose 111, transpose 112.
#define SPINDLE_CBLAS_ROW_MAJOR 101
#define SPINDLE_CBLAS_NO_TRANS 111
#define SPINDLE_CBLAS_TRANS 112

typedef void (*spindle_sgemm_fn)(int order, int transA, int transB, int m, int n, int k, float alpha,
                                 const float *a, int lda, const float *b, int ldb, float beta,
                                 float *c, int ldc);
typedef void (*spindle_set_num_threads_fn)(int n);
typedef int (*spindle_get_num_threads_fn)(void);
typedef char *(*spindle_get_corename_fn)(void);

/// CPU feature bits for choosing an OpenBLAS core type.
enum {
    SPINDLE_CPU_AVX = 1u << 0,
    SPINDLE_CPU_AVX2 = 1u << 1,
    SPINDLE_CPU_FMA = 1u << 2,
    SPINDLE_CPU_AVX512 = 1u << 3,      // F + BW + VL + DQ + CD, with ZMM state enabled by the OS
    SPINDLE_CPU_AVX512BF16 = 1u << 4,
    SPINDLE_CPU_AMD = 1u << 5,
    SPINDLE_CPU_X86 = 1u << 6,
};

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
static inline uint64_t spindle_xgetbv0(void) {
    uint32_t lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    return ((uint64_t)hi << 32) | lo;
}
/// cpuid leaves 0, 1 and 7 plus XCR0, as SPINDLE_CPU_* bits (0 on other architectures).
static inline uint32_t spindle_cpu_features(void) {
    uint32_t a, b, c, d, f = SPINDLE_CPU_X86;
    if (!__get_cpuid(0, &a, &b, &c, &d)) return f;
    uint32_t maxLeaf = a;
    if (b == 0x68747541u /* "Auth"enticAMD */ || b == 0x6f677948u /* "Hygo"nGenuine */) f |= SPINDLE_CPU_AMD;
    if (!__get_cpuid(1, &a, &b, &c, &d)) return f;
    int osxsave = (c >> 27) & 1, avx = (c >> 28) & 1, fma = (c >> 12) & 1;
    uint64_t xcr0 = osxsave ? spindle_xgetbv0() : 0;
    int ymm = (xcr0 & 0x6) == 0x6, zmm = (xcr0 & 0xe6) == 0xe6;
    if (avx && ymm) f |= SPINDLE_CPU_AVX;
    if (fma && ymm) f |= SPINDLE_CPU_FMA;
    if (maxLeaf >= 7) {
        __cpuid_count(7, 0, a, b, c, d);
        if (((b >> 5) & 1) && ymm) f |= SPINDLE_CPU_AVX2;
        int avx512 = ((b >> 16) & 1) && ((b >> 17) & 1) && ((b >> 28) & 1) && ((b >> 30) & 1) && ((b >> 31) & 1);
        if (avx512 && zmm) f |= SPINDLE_CPU_AVX512;
        __cpuid_count(7, 1, a, b, c, d);
        if (((a >> 5) & 1) && (f & SPINDLE_CPU_AVX512)) f |= SPINDLE_CPU_AVX512BF16;
    }
    return f;
}
#else
static inline uint32_t spindle_cpu_features(void) { return 0; }
#endif

#endif
