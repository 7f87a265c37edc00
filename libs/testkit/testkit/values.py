"""Typed attribute values as the protos carry them (`map<string, google.protobuf.Value>`)."""

from google.protobuf import struct_pb2


def values(**attributes) -> dict[str, struct_pb2.Value]:
    """A map of attribute values for a request, such as values(wear=0.1, rarity="Covert")."""
    converted = {}
    for key, value in attributes.items():
        if isinstance(value, bool):
            converted[key] = struct_pb2.Value(bool_value=value)
        elif isinstance(value, int | float):
            converted[key] = struct_pb2.Value(number_value=value)
        else:
            converted[key] = struct_pb2.Value(string_value=value)
    return converted


def plain(attributes) -> dict:
    """The Python values of a proto map of attribute values."""
    return {key: getattr(value, value.WhichOneof("kind")) for key, value in attributes.items()}
