"""The other contexts trading calls, through their gRPC stubs with deadlines."""

from dataclasses import dataclass
from uuid import UUID

import grpc

from marketplace.accounts.v1 import accounts_service_pb2, accounts_service_pb2_grpc
from marketplace.catalog.v1 import catalog_service_pb2, catalog_service_pb2_grpc
from servicekit.calls import ask
from servicekit.errors import FieldViolation
from servicekit.geo import Point
from servicekit.values import Scalar, values_from_proto, values_to_proto
from trading.domain.listings import CatalogFacts


@dataclass(frozen=True)
class CatalogItem:
    owner_id: UUID
    facts: CatalogFacts


@dataclass(frozen=True)
class CheckedValues:
    """Catalog's answer on a thing's values: the facts when they are valid, else every problem
    (named as in the request, `attributes.<key>`)."""

    facts: CatalogFacts
    violations: list[FieldViolation]


class Catalog:
    def __init__(self, channel: grpc.aio.Channel, timeout: float) -> None:
        self._stub = catalog_service_pb2_grpc.CatalogServiceStub(channel)
        self._timeout = timeout

    async def item(self, item_id: UUID) -> CatalogItem | None:
        request = catalog_service_pb2.GetItemRequest(item_id=str(item_id))
        item = await ask("catalog", self._stub.GetItem, request, self._timeout)
        if item is None:
            return None
        facts = CatalogFacts(
            category_id=UUID(item.category_id),
            game_id=UUID(item.game_id),
            attributes=values_from_proto(item.attributes),
            name=item.name,
            image_url=item.image_url,
        )
        return CatalogItem(owner_id=UUID(item.owner_id), facts=facts)

    async def check_values(self, category_id: UUID, values: dict[str, Scalar]) -> CheckedValues | None:
        """None when the category does not exist."""
        request = catalog_service_pb2.ValidateAttributesRequest(
            category_id=str(category_id), attributes=values_to_proto(values)
        )
        checked = await ask("catalog", self._stub.ValidateAttributes, request, self._timeout)
        if checked is None:
            return None
        facts = CatalogFacts(
            category_id=UUID(checked.category.id),
            game_id=UUID(checked.category.game_id),
            attributes=values_from_proto(checked.attributes),
        )
        return CheckedValues(facts, [FieldViolation(v.field, v.description) for v in checked.violations])

    async def category_exists(self, category_id: UUID) -> bool:
        request = catalog_service_pb2.GetCategoryRequest(category_id=str(category_id))
        return await ask("catalog", self._stub.GetCategory, request, self._timeout) is not None


class Accounts:
    def __init__(self, channel: grpc.aio.Channel, timeout: float) -> None:
        self._stub = accounts_service_pb2_grpc.AccountsServiceStub(channel)
        self._timeout = timeout

    async def location(self, user_id: UUID) -> Point | None:
        """Where the user's profile places them; None when it does not (or the user is unknown)."""
        request = accounts_service_pb2.GetUserLocationRequest(user_id=str(user_id))
        answer = await ask("accounts", self._stub.GetUserLocation, request, self._timeout)
        if answer is None or not answer.HasField("location"):
            return None
        return Point(answer.location.latitude, answer.location.longitude)
