"""glibc's malloc, told at process start to give a large block back to the system when it is freed.

glibc serves a request of at least its mmap threshold with a mapping of its own, unmapped when freed, and a
smaller one from an arena (one per thread that allocates, up to eight per core), which keeps what is freed for
later requests. The threshold starts at 128 KiB but rises to the size of each mapped block freed, up to 32 MiB:
once accounts had hashed a password (argon2id takes 19 MiB), each thread that hashed kept a 19 MiB block in its
arena for good, 117 MB in six threads. Setting the threshold stops it rising.
"""

import ctypes
import logging

log = logging.getLogger("servicekit.malloc")

M_MMAP_THRESHOLD = -3


def set_mmap_threshold(size: int) -> None:
    """Fixes glibc's mmap threshold at `size` bytes; elsewhere (another C library) nothing is done."""
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return
    if not mallopt(M_MMAP_THRESHOLD, size):
        log.warning("malloc refused an mmap threshold of %d bytes", size)
