"""A large block goes back to the system when it is freed, whatever large blocks were freed before it
(servicekit.malloc)."""

import os
import platform
import subprocess
import sys

import pytest

# Frees one block of an argon2id hash's size, then makes and frees another: where did the second one live?
SCRIPT = """
import ctypes, sys
from servicekit import malloc

libc = ctypes.CDLL(None)
libc.malloc.restype = ctypes.c_void_p
libc.free.argtypes = [ctypes.c_void_p]
SIZE = 19 * 2**20
if sys.argv[1] == "set":
    malloc.set_mmap_threshold(128 * 1024)
libc.free(libc.malloc(SIZE))
block = libc.malloc(SIZE)
libc.free(block)
for line in open("/proc/self/maps"):
    start, end = (int(part, 16) for part in line.split()[0].split("-"))
    if start <= block < end:
        print(line.split()[5] if len(line.split()) > 5 else "anonymous")
        break
else:
    print("unmapped")
"""


def where_the_second_block_was(threshold: str) -> str:
    # glibc reads the variable itself at start.
    env = {name: value for name, value in os.environ.items() if name != "MALLOC_MMAP_THRESHOLD_"}
    run = subprocess.run([sys.executable, "-c", SCRIPT, threshold], env=env, capture_output=True, text=True, check=True)
    return run.stdout.strip()


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="glibc's malloc")
def test_a_large_block_freed_is_given_back_once_the_threshold_is_set():
    assert where_the_second_block_was("set") == "unmapped"
    # Left to itself, glibc serves the second block from its heap and keeps it there.
    assert where_the_second_block_was("glibc") == "[heap]"
