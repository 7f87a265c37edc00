"""A bound on the unary calls under way in one gateway process.

Past it a request is answered 503 at once: queued behind the others it would wait for its
deadline and keep its client and the backends busy for nothing.
"""

from collections.abc import Iterator
from contextlib import contextmanager

import grpc

from gateway.errors import GatewayError, error_info

# The work under way when the bound is met is a few backend deadlines at most, usually milliseconds.
RETRY_AFTER_SECONDS = 1


class InFlight:
    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.count = 0

    @contextmanager
    def slot(self) -> Iterator[None]:
        """Holds one of the places for the block; raises GatewayError (503) when none is free."""
        if self.count >= self.limit:
            raise GatewayError(
                grpc.StatusCode.UNAVAILABLE,
                f"the gateway has {self.limit} requests under way; retry shortly",
                [error_info("OVERLOADED", retry_after_seconds=str(RETRY_AFTER_SECONDS))],
                headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
            )
        self.count += 1
        try:
            yield
        finally:
            self.count -= 1
