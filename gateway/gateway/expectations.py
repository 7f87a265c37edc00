"""Plain words for what a field expects, for the descriptions of field violations.

json_format's own errors sometimes leak Python ("invalid literal for int() with base 10");
a client is better served by "expected a 32-bit integer, got "abc"".
"""

import json
import re
from typing import Any

from google.protobuf.descriptor import FieldDescriptor

# Details that only repeat "expected ..." or speak Python are left out.
REDUNDANT_DETAIL = re.compile(
    r"\w\(\)|bytes-like object|could not convert|object has no attribute|not iterable|Couldn't parse"
)
SHOWN_LENGTH = 60

SCALAR_WORDS = {
    FieldDescriptor.TYPE_DOUBLE: "a number",
    FieldDescriptor.TYPE_FLOAT: "a number",
    FieldDescriptor.TYPE_INT64: "a 64-bit integer (a number or a decimal string)",
    FieldDescriptor.TYPE_SINT64: "a 64-bit integer (a number or a decimal string)",
    FieldDescriptor.TYPE_SFIXED64: "a 64-bit integer (a number or a decimal string)",
    FieldDescriptor.TYPE_UINT64: "an unsigned 64-bit integer (a number or a decimal string)",
    FieldDescriptor.TYPE_FIXED64: "an unsigned 64-bit integer (a number or a decimal string)",
    FieldDescriptor.TYPE_INT32: "a 32-bit integer",
    FieldDescriptor.TYPE_SINT32: "a 32-bit integer",
    FieldDescriptor.TYPE_SFIXED32: "a 32-bit integer",
    FieldDescriptor.TYPE_UINT32: "an unsigned 32-bit integer",
    FieldDescriptor.TYPE_FIXED32: "an unsigned 32-bit integer",
    FieldDescriptor.TYPE_BOOL: "true or false",
    FieldDescriptor.TYPE_STRING: "a string",
    FieldDescriptor.TYPE_BYTES: "base64-encoded bytes",
}
WELL_KNOWN_WORDS = {
    "google.protobuf.Timestamp": "an RFC 3339 timestamp such as 2024-01-31T12:00:00Z",
    "google.protobuf.Duration": "a duration in seconds such as 1.5s",
    "google.protobuf.FieldMask": "comma-separated field paths such as display_name,bio",
    "google.protobuf.Struct": "a JSON object",
    "google.protobuf.ListValue": "a JSON array",
    "google.protobuf.Value": "a JSON value",
    "google.protobuf.Any": 'a JSON object with "@type"',
}


def describe_failure(field: FieldDescriptor, value: Any, detail: str) -> str:
    """A violation's description: what was expected and what came, plus json_format's detail when it adds something."""
    expected = f"expected {expectation(field)}, got {shown(value)}"
    return expected if REDUNDANT_DETAIL.search(detail) else f"{expected}: {detail}"


def expectation(field: FieldDescriptor) -> str:
    if field.type == FieldDescriptor.TYPE_MESSAGE and field.message_type.GetOptions().map_entry:
        return f"an object whose values are {_single(field.message_type.fields_by_name['value'])}"
    if field.is_repeated:
        return f"an array of {_single(field)}"
    return _single(field)


def _single(field: FieldDescriptor) -> str:
    if field.type == FieldDescriptor.TYPE_ENUM:
        names = [value.name for value in field.enum_type.values]
        return "one of " + ", ".join(names)
    if field.type == FieldDescriptor.TYPE_MESSAGE:
        message = field.message_type
        if message.full_name in WELL_KNOWN_WORDS:
            return WELL_KNOWN_WORDS[message.full_name]
        if message.full_name.startswith("google.protobuf.") and "value" in message.fields_by_name:
            return _single(message.fields_by_name["value"])  # a wrapper such as Int32Value
        return f"a {message.name} object"
    return SCALAR_WORDS[field.type]


def shown(value: Any) -> str:
    # backslashreplace: an undecodable path byte (kept as a lone surrogate) must not break the proto string.
    text = json.dumps(value, ensure_ascii=False).encode("utf-8", "backslashreplace").decode("utf-8")
    return text if len(text) <= SHOWN_LENGTH else text[: SHOWN_LENGTH - 3] + "..."
