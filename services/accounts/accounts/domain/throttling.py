"""Throttling of sign-ins and registrations: which attempts count against whom, and the address a call comes from."""

import hashlib
import ipaddress
import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID

from servicekit.errors import ResourceExhausted


@dataclass(frozen=True)
class Limit:
    """At most `attempts` on one key in a fixed window of `window`, which starts at the first attempt."""

    attempts: int
    window: timedelta


@dataclass(frozen=True)
class ThrottlePolicy:
    """How many attempts each key gets.

    Sign-in counts per account and client pair, so that a stranger's guesses lock only the stranger
    out; per client, whatever the accounts it tries; and, with a much higher limit and a longer
    window, per account from everywhere, the slow back-off against guesses spread over many
    addresses. Registration counts per client.
    """

    per_account_and_client: Limit = Limit(5, timedelta(minutes=15))
    per_client: Limit = Limit(100, timedelta(minutes=15))
    per_account: Limit = Limit(100, timedelta(hours=1))
    registrations_per_client: Limit = Limit(20, timedelta(hours=1))

    def sign_in(self, account: str, client: str) -> dict[str, Limit]:
        """The keys a sign-in of the account (account_throttle_key) from the client counts on."""
        return {
            pair_throttle_key(account, client): self.per_account_and_client,
            client_throttle_key(client): self.per_client,
            account: self.per_account,
        }

    def registration(self, client: str) -> dict[str, Limit]:
        return {f"registration:{client}": self.registrations_per_client}

    @property
    def longest_window(self) -> timedelta:
        """A counter this much older than its window's start is over, whatever its key."""
        limits = (self.per_account_and_client, self.per_client, self.per_account, self.registrations_per_client)
        return max(limit.window for limit in limits)


class TooManyFailedSignIns(ResourceExhausted):
    reason = "TOO_MANY_FAILED_SIGN_INS"

    def __init__(self, retry_after: timedelta) -> None:
        seconds = retry_seconds(retry_after)
        super().__init__(
            f"too many failed sign-ins; try again in {seconds} seconds",
            metadata={"retry_after_seconds": str(seconds)},
        )


class TooManyRegistrations(ResourceExhausted):
    reason = "TOO_MANY_REGISTRATIONS"

    def __init__(self, retry_after: timedelta) -> None:
        seconds = retry_seconds(retry_after)
        super().__init__(
            f"too many registrations from this address; try again in {seconds} seconds",
            metadata={"retry_after_seconds": str(seconds)},
        )


def retry_seconds(retry_after: timedelta) -> int:
    return max(1, math.ceil(retry_after.total_seconds()))


@dataclass(frozen=True)
class AttemptCount:
    """The attempts counted on a key in its current window, this one included."""

    attempts: int
    window_started_at: datetime
    limit: Limit


def wait_needed(counts: list[AttemptCount], now: datetime) -> timedelta | None:
    """How long until every key over its limit has a new window; None when none is over.

    A window a concurrent attempt started a moment after `now` (or another replica whose clock is a
    little ahead) ends at most one window from now.
    """
    waits = [
        min(count.limit.window, count.window_started_at + count.limit.window - now)
        for count in counts
        if count.attempts > count.limit.attempts
    ]
    return max(waits) if waits else None


def account_throttle_key(user_id: UUID | None, login: str) -> str:
    """Sign-ins count against the account, or against the login itself when it matches no account,
    so that an unknown login is throttled exactly like a known one (by its hash: short, and no one's
    address kept)."""
    return f"user:{user_id}" if user_id else f"login:{hashlib.sha256(login.casefold().encode()).hexdigest()}"


def client_throttle_key(client: str) -> str:
    return f"client:{client}"


def pair_throttle_key(account: str, client: str) -> str:
    return f"pair:{account}|{client}"


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
