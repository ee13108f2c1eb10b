#ifndef SPINDLE_COPENBLAS_SHIM_H
#define SPINDLE_COPENBLAS_SHIM_H
#include <cblas.h>
#endif
