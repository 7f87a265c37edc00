"""Typed attribute values as the protos carry them (`map<string, google.protobuf.Value>`) and as Python scalars.

Catalog checks values against its categories' definitions; trading sends a listing's values there
and keeps what comes back. Both read and write them through these functions.
"""

from collections.abc import Mapping

from google.protobuf import struct_pb2

Scalar = str | int | float | bool


class Unsupported:
    """A JSON list or object where a scalar belongs."""

    def __repr__(self) -> str:
        return "a list or object"


def value_to_proto(value: Scalar) -> struct_pb2.Value:
    if isinstance(value, bool):
        return struct_pb2.Value(bool_value=value)
    if isinstance(value, int | float):
        return struct_pb2.Value(number_value=value)
    return struct_pb2.Value(string_value=value)


def value_from_proto(value: struct_pb2.Value) -> object:
    """The scalar, None for null or nothing, or Unsupported for a list or an object."""
    kind = value.WhichOneof("kind")
    if kind in ("struct_value", "list_value"):
        return Unsupported()
    return None if kind in (None, "null_value") else getattr(value, kind)


def values_from_proto(values: Mapping[str, struct_pb2.Value]) -> dict[str, object]:
    return {key: value_from_proto(value) for key, value in values.items()}


def values_to_proto(values: Mapping[str, Scalar]) -> dict[str, struct_pb2.Value]:
    return {key: value_to_proto(value) for key, value in values.items()}
