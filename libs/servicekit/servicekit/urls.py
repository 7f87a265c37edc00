"""Links that people give (logos, avatars, images): http or https, bounded, printable."""

import re
from urllib.parse import urlsplit

from servicekit.errors import FieldViolation

MAX_URL = 2048
_UNPRINTABLE = re.compile(r"[\x00-\x20\x7f]")


def url_violation(field: str, value: str) -> FieldViolation | None:
    """What is wrong with a link, or None for a good one or none at all."""
    if not value:
        return None
    if len(value) > MAX_URL:
        return FieldViolation(field, f"must be at most {MAX_URL} characters")
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc or _UNPRINTABLE.search(value):
        return FieldViolation(field, "must be an http or https URL")
    return None
