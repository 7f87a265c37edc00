"""Password hashing with argon2id (argon2-cffi).

Hashing is deliberately slow CPU work, so it runs in a worker thread and never
holds up the event loop that serves every other call.
"""

import asyncio
import secrets
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError

# OWASP Password Storage Cheat Sheet, argon2id: m=19 MiB, t=2, p=1 is the minimum.
# A hash made with weaker parameters is replaced at the user's next sign-in.
TIME_COST = 2
MEMORY_COST_KIB = 19_456
PARALLELISM = 1

_hasher = PasswordHasher(
    time_cost=TIME_COST, memory_cost=MEMORY_COST_KIB, parallelism=PARALLELISM, hash_len=32, salt_len=16, type=Type.ID
)

# A hash holds MEMORY_COST_KIB and a core while it runs. Threads of its own bound both: the default executor
# (min(32, cores + 4) threads) ran six at once in a burst of 32 sign-ins, 117 MB, and hashed no faster on two
# cores than two threads do (a pod has one, deploy/).
HASHING_THREADS = 2
T = TypeVar("T")
_hashing = ThreadPoolExecutor(HASHING_THREADS, thread_name_prefix="argon2")


async def _in_hashing_thread(function: Callable[..., T], *args: str) -> T:
    return await asyncio.get_running_loop().run_in_executor(_hashing, function, *args)


async def hash_password(password: str) -> str:
    return await _in_hashing_thread(_hasher.hash, password)


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


async def verify_password(password_hash: str, password: str) -> bool:
    return await _in_hashing_thread(_verify, password_hash, password)


# Made once at import, with the current parameters, so that checking a password
# against it costs what checking a real user's password costs.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(32))


async def burn_verification(password: str) -> None:
    """Does the work of a real check against a hash nobody has, so an unknown login takes as long."""
    await _in_hashing_thread(_verify, _DUMMY_HASH, password)


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)
