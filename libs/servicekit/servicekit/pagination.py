"""Keyset pages: `page_size` (default 20, max 100) and an opaque `page_token`.

A token holds the sort key of the last row of the previous page, so the next page
is `WHERE (sort key) < last` and costs the same however deep it is. A client can forge
one, so every value is checked against the type of its sort column, and against what
PostgreSQL takes for it, before it reaches a query.
"""

import base64
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar
from uuid import UUID

from servicekit.errors import InvalidArgument

DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 100

Row = TypeVar("Row")


@dataclass(frozen=True)
class Page:
    size: int
    after: tuple | None = None

    def after_key(self, *types: type) -> tuple | None:
        """The token's sort key, checked against the types of the list's sort columns (`int` is
        an int4 column, `BigInt` an int8 one): a token of another list, or a forged one, is
        INVALID_ARGUMENT here rather than an error in the database."""
        if self.after is None:
            return None
        if len(self.after) != len(types) or not all(
            _fits(value, type_) for value, type_ in zip(self.after, types, strict=True)
        ):
            raise InvalidArgument.field("page_token", "is not a token of this list")
        return self.after


INT4 = range(-(2**31), 2**31)
INT8 = range(-(2**63), 2**63)


class BigInt:
    """The type of an int8 (bigint) sort column, for `after_key`."""


def _fits(value: Any, type_: type) -> bool:
    if type_ is int:
        return type(value) is int and value in INT4
    if type_ is BigInt:
        return type(value) is int and value in INT8
    if type_ is str:
        return isinstance(value, str) and "\x00" not in value
    if type_ is datetime:
        return isinstance(value, datetime) and value.tzinfo is not None and _in_range(value)
    return isinstance(value, type_)


def _in_range(value: datetime) -> bool:
    try:
        value.astimezone(UTC)
    except OverflowError:
        return False
    return True


def _encode_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return {"t": value.isoformat()}
    if isinstance(value, UUID):
        return {"u": str(value)}
    return value


def _decode_value(value: Any) -> Any:
    if isinstance(value, dict) and "t" in value:
        return datetime.fromisoformat(value["t"])
    if isinstance(value, dict) and "u" in value:
        return UUID(value["u"])
    return value


def encode_token(key: tuple) -> str:
    raw = json.dumps([_encode_value(value) for value in key], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_token(token: str) -> tuple:
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        return tuple(_decode_value(value) for value in json.loads(raw))
    except (ValueError, TypeError, KeyError, RecursionError) as exc:
        raise InvalidArgument.field("page_token", "is not a token this list returned") from exc


def page_request(page_size: int, page_token: str) -> Page:
    """The page a list request asks for; sizes above the maximum are lowered to it."""
    if page_size < 0:
        raise InvalidArgument.field("page_size", "must not be negative")
    size = min(page_size or DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)
    return Page(size=size, after=decode_token(page_token) if page_token else None)


def page_result(rows: list[Row], page: Page, key) -> tuple[list[Row], str]:
    """The rows of the page and the next token, from a query that fetched size + 1 rows."""
    if len(rows) <= page.size:
        return rows, ""
    rows = rows[: page.size]
    return rows, encode_token(key(rows[-1]))
