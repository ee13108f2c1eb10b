#ifndef SPINDLE_SYS_H
#define SPINDLE_SYS_H
// System calls Swift's Glibc module does not declare. Header-only: nothing is linked.
#define _GNU_SOURCE 1
#include <fcntl.h>
#include <stdio.h>
#include <errno.h>
#include <unistd.h>
#include <sys/syscall.h>

#ifndef RENAME_EXCHANGE
#define RENAME_EXCHANGE (1 << 1)
#endif

/// Atomically swaps the directory entries `a` and `b` (Linux renameat2 with RENAME_EXCHANGE): after
/// it, `b` names what `a` named and the other way round, with no moment where either is missing.
/// Returns 0, or -1 with errno set (EINVAL or ENOSYS where the file system or kernel lacks it).
static inline int spindle_rename_exchange(const char *a, const char *b) {
#ifdef SYS_renameat2
    return (int)syscall(SYS_renameat2, AT_FDCWD, a, AT_FDCWD, b, RENAME_EXCHANGE);
#else
    errno = ENOSYS;
    return -1;
#endif
}

#endif
