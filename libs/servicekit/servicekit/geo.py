"""Locations: WGS 84 points stored as PostGIS geography (SRID 4326)."""

import struct
from dataclasses import dataclass

from geoalchemy2 import WKBElement

from marketplace.common.v1 import location_pb2
from servicekit.errors import FieldViolation

SRID = 4326


@dataclass(frozen=True)
class Point:
    latitude: float
    longitude: float

    def to_ewkt(self) -> str:
        return f"SRID={SRID};POINT({self.longitude} {self.latitude})"

    def to_proto(self) -> location_pb2.Location:
        return location_pb2.Location(latitude=self.latitude, longitude=self.longitude)


def check_location(field: str, value: location_pb2.Location, violations: list[FieldViolation]) -> Point | None:
    """The location as a Point, or None after adding what is wrong with it to violations."""
    problems = []
    if not -90 <= value.latitude <= 90:
        problems.append(FieldViolation(f"{field}.latitude", "must be between -90 and 90"))
    if not -180 <= value.longitude <= 180:
        problems.append(FieldViolation(f"{field}.longitude", "must be between -180 and 180"))
    violations += problems
    return None if problems else Point(value.latitude, value.longitude)


def point_from_wkb(element: WKBElement | None) -> Point | None:
    """Reads a (E)WKB point as PostGIS returns it."""
    if element is None:
        return None
    data = bytes(element.data)
    order = "<" if data[0] == 1 else ">"
    (geometry_type,) = struct.unpack(f"{order}I", data[1:5])
    offset = 9 if geometry_type & 0x20000000 else 5  # EWKB carries the SRID after the type
    longitude, latitude = struct.unpack(f"{order}dd", data[offset : offset + 16])
    return Point(latitude=latitude, longitude=longitude)
