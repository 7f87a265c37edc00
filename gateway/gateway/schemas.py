"""JSON Schemas of proto messages as the canonical JSON mapping writes them, for OpenAPI.

Component names are full proto names (`marketplace.trading.v1.Listing`), so that two
contexts may both have a `Listing` without a clash. The document is OpenAPI 3.0, which
the bundled Swagger UI reads: keywords beside a $ref go beside an allOf of it.
"""

from collections.abc import Mapping
from typing import Any

from google.api import field_behavior_pb2
from google.protobuf.descriptor import Descriptor, EnumDescriptor, FieldDescriptor

Schema = dict[str, Any]
REF_PREFIX = "#/components/schemas/"
INT64 = {"type": "string", "format": "int64"}  # canonical JSON writes 64-bit integers as strings
UINT64 = {"type": "string", "format": "uint64"}

SCALARS: dict[int, Schema] = {
    FieldDescriptor.TYPE_DOUBLE: {"type": "number", "format": "double"},
    FieldDescriptor.TYPE_FLOAT: {"type": "number", "format": "float"},
    FieldDescriptor.TYPE_INT64: INT64,
    FieldDescriptor.TYPE_SINT64: INT64,
    FieldDescriptor.TYPE_SFIXED64: INT64,
    FieldDescriptor.TYPE_UINT64: UINT64,
    FieldDescriptor.TYPE_FIXED64: UINT64,
    FieldDescriptor.TYPE_INT32: {"type": "integer", "format": "int32"},
    FieldDescriptor.TYPE_SINT32: {"type": "integer", "format": "int32"},
    FieldDescriptor.TYPE_SFIXED32: {"type": "integer", "format": "int32"},
    FieldDescriptor.TYPE_UINT32: {"type": "integer", "minimum": 0, "maximum": 4294967295},
    FieldDescriptor.TYPE_FIXED32: {"type": "integer", "minimum": 0, "maximum": 4294967295},
    FieldDescriptor.TYPE_BOOL: {"type": "boolean"},
    FieldDescriptor.TYPE_STRING: {"type": "string"},
    FieldDescriptor.TYPE_BYTES: {"type": "string", "format": "byte"},
}

WELL_KNOWN: dict[str, Schema] = {
    "google.protobuf.Timestamp": {"type": "string", "format": "date-time"},
    "google.protobuf.Duration": {
        "type": "string",
        "pattern": r"^-?[0-9]+(\.[0-9]{1,9})?s$",
        "description": "Seconds with an `s` suffix, such as `90s` or `1.5s`.",
    },
    "google.protobuf.FieldMask": {
        "type": "string",
        "description": "Comma-separated field paths, such as `display_name,bio`.",
    },
    "google.protobuf.Struct": {"type": "object", "additionalProperties": True},
    "google.protobuf.Value": {"description": "Any JSON value."},
    "google.protobuf.ListValue": {"type": "array", "items": {}},
    "google.protobuf.Empty": {"type": "object"},
    "google.protobuf.Any": {
        "type": "object",
        "properties": {"@type": {"type": "string", "description": "The type URL of the packed message."}},
        "required": ["@type"],
        "additionalProperties": True,
    },
    "google.protobuf.DoubleValue": SCALARS[FieldDescriptor.TYPE_DOUBLE],
    "google.protobuf.FloatValue": SCALARS[FieldDescriptor.TYPE_FLOAT],
    "google.protobuf.Int64Value": INT64,
    "google.protobuf.UInt64Value": UINT64,
    "google.protobuf.Int32Value": SCALARS[FieldDescriptor.TYPE_INT32],
    "google.protobuf.UInt32Value": SCALARS[FieldDescriptor.TYPE_UINT32],
    "google.protobuf.BoolValue": SCALARS[FieldDescriptor.TYPE_BOOL],
    "google.protobuf.StringValue": SCALARS[FieldDescriptor.TYPE_STRING],
    "google.protobuf.BytesValue": SCALARS[FieldDescriptor.TYPE_BYTES],
}


def behaviors(field: FieldDescriptor) -> set[int]:
    return set(field.GetOptions().Extensions[field_behavior_pb2.field_behavior])


def is_required(field: FieldDescriptor) -> bool:
    return field_behavior_pb2.REQUIRED in behaviors(field)


def is_output_only(field: FieldDescriptor) -> bool:
    return field_behavior_pb2.OUTPUT_ONLY in behaviors(field)


def with_keywords(schema: Schema, **keywords: Any) -> Schema:
    """The schema with more keywords; OpenAPI 3.0 ignores those beside a $ref, so they go beside an allOf of it."""
    if not keywords:
        return schema
    if "$ref" in schema:
        return {"allOf": [schema], **keywords}
    return {**schema, **keywords}


class SchemaSet:
    """Component schemas, added as the document refers to them, described by the proto comments
    (by full name, see gateway.comments)."""

    def __init__(self, comments: Mapping[str, str] | None = None) -> None:
        self.components: dict[str, Schema] = {}
        self.comments = comments or {}

    def description(self, full_name: str) -> dict[str, str]:
        """{"description": comment}, or nothing for a name without a comment."""
        comment = self.comments.get(full_name)
        return {"description": comment} if comment else {}

    def message_ref(self, message: Descriptor) -> Schema:
        if message.full_name in WELL_KNOWN:
            return dict(WELL_KNOWN[message.full_name])
        if message.full_name not in self.components:
            self.components[message.full_name] = {}  # placeholder first: messages may refer to themselves
            self.components[message.full_name] = self.message_schema(message)
        return {"$ref": REF_PREFIX + message.full_name}

    def enum_ref(self, enum: EnumDescriptor) -> Schema:
        if enum.full_name not in self.components:
            values = [
                f"- `{value.name}`"
                + (f": {comment}" if (comment := self.comments.get(f"{enum.full_name}.{value.name}")) else "")
                for value in enum.values
            ]
            description = "\n\n".join(filter(None, [self.comments.get(enum.full_name), "\n".join(values)]))
            self.components[enum.full_name] = {
                "type": "string",
                "enum": [value.name for value in enum.values],
                "description": description,
            }
        return {"$ref": REF_PREFIX + enum.full_name}

    def message_schema(
        self, message: Descriptor, without: frozenset[str] = frozenset(), required: bool = True
    ) -> Schema:
        """An object schema of the message's fields, leaving out the named top-level fields."""
        fields = [field for field in message.fields if field.name not in without]
        schema: Schema = {
            "type": "object",
            **self.description(message.full_name),
            "properties": {field.name: self.field_schema(field) for field in fields},
        }
        names = [field.name for field in fields if is_required(field)]
        if required and names:
            schema["required"] = names
        return schema

    def field_schema(self, field: FieldDescriptor, with_behavior: bool = True) -> Schema:
        """The field's schema; with_behavior adds its description, readOnly, writeOnly and deprecated, which
        a parameter carries itself or does without."""
        schema = self._value_schema(field)
        if field.is_repeated and not _is_map(field):
            schema = {"type": "array", "items": schema}
        if not with_behavior:
            return schema
        marks = behaviors(field)
        keywords: dict[str, Any] = self.description(field.full_name)
        if field_behavior_pb2.OUTPUT_ONLY in marks:
            keywords["readOnly"] = True
        if field_behavior_pb2.INPUT_ONLY in marks:
            keywords["writeOnly"] = True
        if field.GetOptions().deprecated:
            keywords["deprecated"] = True
        return with_keywords(schema, **keywords)

    def _value_schema(self, field: FieldDescriptor) -> Schema:
        if _is_map(field):
            value = field.message_type.fields_by_name["value"]
            return {"type": "object", "additionalProperties": self._value_schema(value)}
        if field.type == FieldDescriptor.TYPE_ENUM:
            return self.enum_ref(field.enum_type)
        if field.type == FieldDescriptor.TYPE_MESSAGE:
            return self.message_ref(field.message_type)
        return dict(SCALARS[field.type])


def _is_map(field: FieldDescriptor) -> bool:
    return field.type == FieldDescriptor.TYPE_MESSAGE and field.message_type.GetOptions().map_entry
