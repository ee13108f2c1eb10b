#ifndef SPINDLE_CZLIB_SHIM_H
#define SPINDLE_CZLIB_SHIM_H
#include <zlib.h>
/// `inflateInit2` is a macro; Swift cannot call it, so wrap it.
static inline int spindle_inflateInit2(z_stream *s, int windowBits) {
    return inflateInit2(s, windowBits);
}
#endif
