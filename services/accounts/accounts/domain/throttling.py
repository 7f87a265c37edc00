"""Sign-in throttling: which failures count against whom, and the address a call comes from."""

import ipaddress
import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID

from servicekit.errors import ResourceExhausted


@dataclass(frozen=True)
class ThrottlePolicy:
    """How many failed sign-ins an account (or a login that matches none) and a client get per window."""

    per_account: int = 5
    per_client: int = 100
    window: timedelta = timedelta(minutes=15)


DEFAULT_THROTTLE = ThrottlePolicy()


class TooManyFailedSignIns(ResourceExhausted):
    reason = "TOO_MANY_FAILED_SIGN_INS"

    def __init__(self, retry_after: timedelta) -> None:
        seconds = max(1, math.ceil(retry_after.total_seconds()))
        super().__init__(
            f"too many failed sign-ins; try again in {seconds} seconds",
            metadata={"retry_after_seconds": str(seconds)},
        )


@dataclass(frozen=True)
class FailureCount:
    failures: int
    window_started_at: datetime
    limit: int


def check_throttle(counts: list[FailureCount], policy: ThrottlePolicy, now: datetime) -> None:
    """Refuses a sign-in while the account or the client has used up its failures in the current window."""
    blocked_until = [
        count.window_started_at + policy.window
        for count in counts
        if count.failures >= count.limit and count.window_started_at + policy.window > now
    ]
    if blocked_until:
        raise TooManyFailedSignIns(max(blocked_until) - now)


def account_throttle_key(user_id: UUID | None, login: str) -> str:
    """Failures count against the account, or against the login itself when it matches no account,
    so that an unknown login is throttled exactly like a known one."""
    return f"user:{user_id}" if user_id else f"login:{login.casefold()}"


def client_throttle_key(client: str) -> str:
    return f"client:{client}"


def client_identity(forwarded_for: str | None, peer: str | None) -> str:
    """The address a sign-in comes from: the last `x-forwarded-for` entry (the one the trusted proxy in
    front of us added), else the peer's address. IPv6 clients count per /64, the block one host gets."""
    candidates = [part.strip() for part in (forwarded_for or "").split(",") if part.strip()]
    address = _parse_ip(candidates[-1]) if candidates else None
    if address is None:
        address = _parse_ip(_peer_host(peer or ""))
    if address is None:
        return peer or "unknown"
    if address.version == 6:
        if address.ipv4_mapped:
            return str(address.ipv4_mapped)
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return str(address)


def _peer_host(peer: str) -> str:
    """The host of a gRPC peer string: `ipv4:10.0.0.1:5000`, `ipv6:[::1]:5000`."""
    kind, _, rest = peer.partition(":")
    if kind == "ipv6":
        return rest.rpartition("]")[0].lstrip("[") or rest
    if kind == "ipv4":
        return rest.rpartition(":")[0]
    return ""


def _parse_ip(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(text.strip("[]").split("%")[0])
    except ValueError:
        return None
