#ifndef SPINDLE_CPU_H
#define SPINDLE_CPU_H
// CPU hints Swift has no spelling for. Header-only: nothing is linked.

/// Prefetch the cache line holding `p` for reading, into all cache levels. A prefetch never faults,
/// even past the end of a buffer. Used by the decoding matrix-vector kernel and the encoder's memo.
static inline void spindle_prefetch(const void *p) { __builtin_prefetch(p, 0, 3); }

#endif
