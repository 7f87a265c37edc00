"""Helpers of the catalog's service tests: `from .catalog_support import ...`."""

import uuid
from dataclasses import dataclass

from marketplace.catalog.v1 import resources_pb2

T = resources_pb2.AttributeType


@dataclass(frozen=True)
class Person:
    id: str
    auth: tuple


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
