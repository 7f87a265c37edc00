"""Helpers of the catalog's service tests (importable once conftest.py has run)."""

import uuid
from dataclasses import dataclass

from google.protobuf import struct_pb2
from google.rpc import error_details_pb2, status_pb2

from marketplace.catalog.v1 import resources_pb2
from servicekit.errors import DETAILS_KEY

T = resources_pb2.AttributeType


@dataclass(frozen=True)
class Person:
    id: str
    auth: tuple


def values(**attributes) -> dict[str, struct_pb2.Value]:
    """A map of attribute values as the protos carry them."""
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


SKIN_ATTRIBUTES = [
    resources_pb2.Attribute(
        name="Wear",
        key="wear",
        type=T.ATTRIBUTE_TYPE_NUMBER,
        required=True,
        min=0,
        max=1,
        filterable=True,
        display_order=1,
    ),
    resources_pb2.Attribute(
        name="Rarity",
        key="rarity",
        type=T.ATTRIBUTE_TYPE_ENUM,
        required=True,
        allowed_values=["Mil-Spec", "Restricted", "Classified", "Covert"],
        filterable=True,
        display_order=2,
    ),
    resources_pb2.Attribute(
        name="StatTrak", key="stattrak", type=T.ATTRIBUTE_TYPE_BOOLEAN, filterable=True, display_order=3
    ),
    resources_pb2.Attribute(
        name="Pattern",
        key="pattern_index",
        type=T.ATTRIBUTE_TYPE_INTEGER,
        min=0,
        max=999,
        filterable=True,
        display_order=4,
    ),
    resources_pb2.Attribute(
        name="Sticker text", key="name_tag", type=T.ATTRIBUTE_TYPE_STRING, max_length=20, display_order=5
    ),
]


@dataclass(frozen=True)
class Skins:
    game: resources_pb2.Game
    category: resources_pb2.Category
    attributes: dict[str, resources_pb2.Attribute]
    redline: resources_pb2.Template


def unique(prefix: str) -> str:
    return f"{prefix} {uuid.uuid4().hex[:8]}"


def error_metadata(error) -> dict[str, str]:
    """The metadata of the ErrorInfo of a failed call, such as the counts of a refusal."""
    for key, value in error.trailing_metadata() or ():
        if key == DETAILS_KEY:
            for detail in status_pb2.Status.FromString(value).details:
                info = error_details_pb2.ErrorInfo()
                if detail.Unpack(info):
                    return dict(info.metadata)
    return {}
