#ifndef SPINDLE_CZSTD_SHIM_H
#define SPINDLE_CZSTD_SHIM_H
#include <zstd.h>
#endif
