"""JSON values into proto messages, naming each bad field by its dotted path.

json_format alone reports the first error in prose; walking the message here lets every
google.rpc.BadRequest field violation carry the field's path (`price.amount_minor`,
`items[2].name`). Leaves (scalars, enums, maps, repeated scalars, well-known types) are
still converted by json_format, so the canonical JSON mapping holds: both the proto name
and the lowerCamel JSON name are accepted, int64 as number or string, enums by name or number.

Enums may also be given by their short name (`price_asc`), as API.md spells them.

Query parameters and path values arrive as text; `from_text` shapes them as JSON would
(a list of strings per parameter, "true"/"false" for bools) before the same walk.
"""

import re
from collections.abc import Mapping
from functools import cache
from typing import Any

from google.protobuf import json_format
from google.protobuf.descriptor import Descriptor, EnumDescriptor, FieldDescriptor
from google.protobuf.message import Message

from gateway.expectations import describe_failure

Violation = tuple[str, str]

BOOL_TEXT = {"true": True, "false": False, "1": True, "0": False}
PARSE_ERROR_NOISE = re.compile(r"^Failed to parse \w+ field: |( at [\w.\[\]]+)?\.?$")


def is_leaf(field: FieldDescriptor) -> bool:
    """Whether json_format converts the field whole: anything but a plain message or a list of them."""
    if field.type != FieldDescriptor.TYPE_MESSAGE:
        return True
    return field.message_type.GetOptions().map_entry or is_well_known(field.message_type)


def is_well_known(message: Descriptor) -> bool:
    return message.full_name.startswith("google.protobuf.")


@cache
def fields_by_any_name(message: Descriptor) -> dict[str, FieldDescriptor]:
    """Fields by proto name and by JSON name (lowerCamel, or the field's json_name option)."""
    names = {field.json_name: field for field in message.fields}
    names.update(message.fields_by_name)
    return names


def merge_json(
    message: Message,
    value: Any,
    path: str = "",
    *,
    from_text: bool = False,
    bound: Mapping[str, str] | None = None,
) -> list[Violation]:
    """Merges a JSON object into message; returns the violations, empty when all went in.

    bound maps field paths that another part of the request sets to the reason they may not
    appear here, such as {"listing_id": "set by the URL path"}.
    """
    walker = _Walker(from_text, bound or {})
    walker.merge_object(message, value, path)
    return walker.violations


class _Walker:
    def __init__(self, from_text: bool, bound: Mapping[str, str]) -> None:
        self.from_text = from_text
        self.bound = bound
        self.violations: list[Violation] = []

    def merge_object(self, message: Message, value: Any, path: str) -> None:
        if not isinstance(value, dict):
            self.violations.append(
                (path, f"expected a JSON object ({message.DESCRIPTOR.name}), got {_json_type(value)}")
            )
            return
        fields = fields_by_any_name(message.DESCRIPTOR)
        seen: set[str] = set()
        oneofs: dict[str, str] = {}
        for key, item in value.items():
            field = fields.get(key)
            field_path = _join(path, field.name if field else key)
            if field is None:
                self.violations.append((field_path, f"unknown field of {message.DESCRIPTOR.full_name}"))
                continue
            reason = self._bound_reason(field_path)
            if reason:
                self.violations.append((field_path, reason))
                continue
            if field.name in seen:
                self.violations.append((field_path, "given more than once"))
                continue
            seen.add(field.name)
            oneof = field.containing_oneof
            if oneof is not None and item is not None:
                if oneof.name in oneofs:
                    self.violations.append(
                        (field_path, f"{oneofs[oneof.name]} is already set; only one of {oneof.name} may be")
                    )
                    continue
                oneofs[oneof.name] = field.name
            self.merge_field(message, field, item, field_path)

    def merge_field(self, message: Message, field: FieldDescriptor, value: Any, path: str) -> None:
        if self.from_text:
            value = self._shape_text(field, value, path)
            if value is _INVALID:
                return
        if is_leaf(field):
            self._merge_leaf(message, field, value, path)
        elif value is None:
            return  # null means "not set" in the canonical mapping
        elif field.is_repeated:
            if not isinstance(value, list):
                self.violations.append((path, f"expected a JSON array, got {_json_type(value)}"))
                return
            container = getattr(message, field.name)
            for index, item in enumerate(value):
                self.merge_object(container.add(), item, f"{path}[{index}]")
        else:
            child = getattr(message, field.name)
            child.SetInParent()
            self.merge_object(child, value, path)

    def _merge_leaf(self, message: Message, field: FieldDescriptor, value: Any, path: str) -> None:
        if field.type == FieldDescriptor.TYPE_ENUM:
            value = (
                [enum_alias(field.enum_type, v) for v in value]
                if isinstance(value, list)
                else enum_alias(field.enum_type, value)
            )
        scratch = type(message)()
        try:
            json_format.ParseDict({field.name: value}, scratch)
        except json_format.ParseError as error:
            self.violations.append((path, describe_failure(field, value, PARSE_ERROR_NOISE.sub("", str(error)))))
        else:
            message.MergeFrom(scratch)

    def _bound_reason(self, field_path: str) -> str | None:
        """Why the field may not be set here, if it or a field enclosing it is bound elsewhere.
        A field enclosing a bound one is walked into: with `{note.id}` in the path, `note.title` is free."""
        for bound_path, reason in self.bound.items():
            if field_path == bound_path or field_path.startswith(bound_path + "."):
                return reason
        return None

    def _shape_text(self, field: FieldDescriptor, value: Any, path: str) -> Any:
        """Query values come as {name: [text, ...]} trees: give each field the JSON it expects."""
        is_map = field.type == FieldDescriptor.TYPE_MESSAGE and field.message_type.GetOptions().map_entry
        if isinstance(value, dict):
            if is_map:
                entry_value = field.message_type.fields_by_name["value"]
                shaped = {key: self._single_text(entry_value, texts, f"{path}[{key}]") for key, texts in value.items()}
                return _INVALID if _INVALID in shaped.values() else shaped
            if is_leaf(field) or field.is_repeated:
                self.violations.append((path, "has no sub-fields to set from query parameters"))
                return _INVALID
            return value
        if is_map:
            self.violations.append((path, f"is a map: set its entries as {path}[<key>]=<value>"))
            return _INVALID
        if not is_leaf(field):
            self.violations.append((path, f"is a message: set its fields as {path}.<field>=<value>"))
            return _INVALID
        if field.is_repeated:
            shaped = [_text_to_json(field, text) for text in value]
            if _INVALID in shaped:
                self.violations.append((path, "expected true or false"))
                return _INVALID
            return shaped
        return self._single_text(field, value, path)

    def _single_text(self, field: FieldDescriptor, texts: Any, path: str) -> Any:
        if not isinstance(texts, list):
            self.violations.append((path, "has no sub-fields to set from query parameters"))
            return _INVALID
        if len(texts) > 1:
            self.violations.append((path, "given more than once, but the field is not repeated"))
            return _INVALID
        shaped = _text_to_json(field, texts[0])
        if shaped is _INVALID:
            self.violations.append((path, f"expected true or false, got {texts[0]!r}"))
        return shaped


_INVALID = object()


def enum_alias(enum: EnumDescriptor, value: Any) -> Any:
    """Also accepts an enum value by its short name, any case: `price_asc` for LISTING_SORT_PRICE_ASC.

    The prefix is the zero value's name without UNSPECIFIED, as AIP-126 spells enums.
    """
    if not isinstance(value, str) or value in enum.values_by_name:
        return value
    zero = enum.values_by_number.get(0)
    prefix = zero.name.removesuffix("UNSPECIFIED") if zero and zero.name.endswith("_UNSPECIFIED") else ""
    full = prefix + value.upper()
    return full if full in enum.values_by_name else value


def _text_to_json(field: FieldDescriptor, text: str) -> Any:
    """Text as the JSON value json_format wants: json_format takes numbers, enums, bytes and
    well-known types from strings already, but bools (also inside BoolValue) only as JSON booleans."""
    target = field
    if field.type == FieldDescriptor.TYPE_MESSAGE and field.message_type.full_name == "google.protobuf.BoolValue":
        target = field.message_type.fields_by_name["value"]
    if target.type != FieldDescriptor.TYPE_BOOL:
        return text
    return BOOL_TEXT.get(text.lower(), _INVALID)


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    return {
        bool: "a boolean",
        int: "a number",
        float: "a number",
        str: "a string",
        list: "an array",
        dict: "an object",
    }[type(value)]
