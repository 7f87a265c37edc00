"""Which client address the gateway passes on, with and without trusted proxies in front."""

import pytest
from starlette.requests import Request

from gateway.forwarding import client_address


def request_from(peer: str, forwarded_for: str | None = None) -> Request:
    headers = [(b"x-forwarded-for", forwarded_for.encode())] if forwarded_for is not None else []
    return Request({"type": "http", "headers": headers, "client": (peer, 5000)})


@pytest.mark.parametrize(
    ("peer", "forwarded_for", "hops", "expected"),
    [
        ("10.0.0.9", "6.6.6.6", 0, "10.0.0.9"),  # nobody trusted: a client cannot pick its address
        ("10.0.0.9", "6.6.6.6, 203.0.113.7", 1, "203.0.113.7"),  # the Ingress wrote the last entry
        ("10.0.0.9", "203.0.113.7, 10.0.0.5", 2, "203.0.113.7"),
        ("10.0.0.9", None, 1, "10.0.0.9"),  # no header although one was expected: the peer
    ],
)
def test_the_client_is_the_entry_the_trusted_proxies_wrote(peer, forwarded_for, hops, expected):
    assert client_address(request_from(peer, forwarded_for), hops) == expected
