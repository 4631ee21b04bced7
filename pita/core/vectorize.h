#pragma once
// Macros for pita's hand-written loops that the compiler should vectorise.
//
// PITA_IVDEP: the arrays of the loop that follows do not overlap (GCC ignores __restrict on
// local pointers).
// PITA_CLONES: on x86-64 the function is also compiled for AVX2 (twice SSE2's vector width) and
// the version to run is picked at run time. No FMA in either version, so both round
// identically: results do not depend on the machine.
#if defined(__GNUC__) && !defined(__clang__)
#define PITA_IVDEP _Pragma("GCC ivdep")
#else
#define PITA_IVDEP
#endif
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define PITA_CLONES __attribute__((target_clones("avx2", "default")))
#else
#define PITA_CLONES
#endif
