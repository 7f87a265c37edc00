"""Rate limits per client address and per bearer token, by route class, as token buckets.

A request takes one token from its address's bucket of its route class and, when it carries a
token, one from that token's bucket; if either is empty it is refused (429) and takes nothing.
A bucket holds `burst` tokens and refills at `requests` per `window_seconds`.

The buckets live in this process: each replica counts on its own, so behind N replicas that
the load balancer spreads a client over, it gets up to N times the limit. No shared store is
consulted, so a limit costs no round trip.

Tokens are keyed by a SHA-256 of the Authorization header, not by their subject: the gateway
does not verify tokens (the services do), and a subject read from an unverified token could be
forged to drain another user's bucket. A refreshed token starts a bucket of its own; the
address's bucket still bounds the client.

The answers carry the fields of draft-ietf-httpapi-ratelimit-headers-11: `RateLimit-Policy`
(`"reads-address";q=1200;w=60`) and `RateLimit` (`"reads-address";r=199;t=1`), where `r` is
what the bucket holds now and `t` the seconds until it is full again, or, when it refuses,
until it holds a token (the same point in time as Retry-After).
"""

import hashlib
import math
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import Enum

from gateway.routing import Route

LIMIT = re.compile(r"(\d+)/(\d+)s(?:;burst=(\d+))?")
# Full buckets are forgotten this often, so that clients seen once do not stay in memory.
SWEEP_SECONDS = 60.0


class RouteClass(Enum):
    SIGN_IN = "sign-in"
    WRITES = "writes"
    READS = "reads"


def route_class(route: Route, sign_in_methods: frozenset[str]) -> RouteClass:
    """sign-in for the named methods (`package.Service/Method`), else reads for GET and writes for the rest."""
    if route.rpc.grpc_path.removeprefix("/") in sign_in_methods:
        return RouteClass.SIGN_IN
    return RouteClass.READS if route.http_method == "GET" else RouteClass.WRITES


@dataclass(frozen=True)
class Limit:
    requests: int
    window_seconds: int
    burst: int

    @classmethod
    def parse(cls, text: str) -> "Limit | None":
        """`20/60s;burst=10` (20 requests a minute, 10 at once), `20/60s` (a burst of 20), or `off` (None)."""
        text = text.strip()
        if text.lower() == "off":
            return None
        match = LIMIT.fullmatch(text)
        if match is None:
            raise ValueError(f"{text!r} is not a limit such as 20/60s;burst=10, 20/60s or off")
        requests, window_seconds = int(match[1]), int(match[2])
        limit = cls(requests, window_seconds, int(match[3]) if match[3] else requests)
        if min(limit.requests, limit.window_seconds, limit.burst) < 1:
            raise ValueError(f"{text!r}: requests, window and burst must be at least 1")
        return limit

    def __str__(self) -> str:
        return f"{self.requests}/{self.window_seconds}s;burst={self.burst}"

    @property
    def per_second(self) -> float:
        return self.requests / self.window_seconds


class Bucket:
    __slots__ = ("limit", "tokens", "updated")

    def __init__(self, limit: Limit, now: float) -> None:
        self.limit = limit
        self.tokens = float(limit.burst)
        self.updated = now

    def refill(self, now: float) -> None:
        self.tokens = min(self.limit.burst, self.tokens + (now - self.updated) * self.limit.per_second)
        self.updated = now

    def seconds_until(self, tokens: float) -> int:
        return max(0, math.ceil((tokens - self.tokens) / self.limit.per_second))


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    headers: dict[str, str]


ALLOWED = Verdict(allowed=True, headers={})


class RateLimiter:
    def __init__(self, limits: Mapping[RouteClass, Limit | None], clock: Callable[[], float] = time.monotonic) -> None:
        self.limits = dict(limits)
        self.clock = clock
        self.buckets: dict[tuple[str, str], Bucket] = {}
        self.swept = clock()

    def take(self, route_class: RouteClass, address: str, authorization: str | None) -> Verdict:
        """Takes a token from each bucket the request counts against, or from none if one is empty."""
        limit = self.limits.get(route_class)
        if limit is None:
            return ALLOWED
        now = self.clock()
        self._sweep(now)
        partitions = {f"{route_class.value}-address": address}
        if authorization:
            partitions[f"{route_class.value}-token"] = hashlib.sha256(authorization.encode()).hexdigest()
        buckets = {policy: self._bucket(policy, key, limit, now) for policy, key in partitions.items()}
        allowed = all(bucket.tokens >= 1 for bucket in buckets.values())
        if allowed:
            for bucket in buckets.values():
                bucket.tokens -= 1
            resets = {policy: bucket.seconds_until(limit.burst) for policy, bucket in buckets.items()}
        else:
            resets = {policy: bucket.seconds_until(1) for policy, bucket in buckets.items()}
        headers = {
            "RateLimit-Policy": ", ".join(
                f'"{policy}";q={limit.requests};w={limit.window_seconds}' for policy in buckets
            ),
            "RateLimit": ", ".join(
                f'"{policy}";r={math.floor(bucket.tokens)};t={resets[policy]}' for policy, bucket in buckets.items()
            ),
        }
        if allowed:
            return Verdict(allowed=True, headers=headers)
        return Verdict(allowed=False, headers={**headers, "Retry-After": str(max(resets.values()))})

    def _bucket(self, policy: str, key: str, limit: Limit, now: float) -> Bucket:
        bucket = self.buckets.get((policy, key))
        if bucket is None:
            bucket = self.buckets[(policy, key)] = Bucket(limit, now)
        else:
            bucket.refill(now)
        return bucket

    def _sweep(self, now: float) -> None:
        if now - self.swept < SWEEP_SECONDS:
            return
        self.swept = now
        for key, bucket in list(self.buckets.items()):
            bucket.refill(now)
            if bucket.tokens >= bucket.limit.burst:
                del self.buckets[key]
