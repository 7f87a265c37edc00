"""The other contexts trading calls, through their gRPC stubs with deadlines."""

import time
from dataclasses import dataclass
from uuid import UUID

import grpc

from marketplace.accounts.v1 import accounts_service_pb2, accounts_service_pb2_grpc
from marketplace.catalog.v1 import catalog_service_pb2, catalog_service_pb2_grpc, resources_pb2
from servicekit import enums
from servicekit.calls import Refused, ask
from servicekit.errors import FieldViolation
from servicekit.filters import AttributeType
from servicekit.geo import Point
from servicekit.money import Money
from servicekit.values import Scalar, values_from_proto, values_to_proto
from trading.domain.listings import CatalogFacts
from trading.search import SearchAttribute


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


# The refusals the purchase saga acts on; anything else is UNAVAILABLE and the step is tried again.
REFUSED = (grpc.StatusCode.FAILED_PRECONDITION,)


@dataclass(frozen=True)
class Posting:
    """What a ledger call did: the hold it filled or settled, and its posting."""

    hold_id: UUID
    posting_id: UUID


# How long a category's attribute definitions are used again: every search of a category needs them, catalog
# changes them rarely, and a search meanwhile reads the definitions of up to this long ago.
ATTRIBUTES_TTL_SECONDS = 10.0
# The categories remembered at most; past it the memory starts again.
MAX_REMEMBERED_CATEGORIES = 10_000


class Catalog:
    def __init__(self, channel: grpc.aio.Channel, timeout: float) -> None:
        self._stub = catalog_service_pb2_grpc.CatalogServiceStub(channel)
        self._timeout = timeout
        self._attributes: dict[UUID, tuple[float, list[SearchAttribute]]] = {}

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

    async def transfer(self, key: str, item_id: UUID, from_owner_id: UUID, to_owner_id: UUID) -> bool:
        """Gives the item to its buyer; False when catalog does not know it. Refused (ITEM_OWNER_CHANGED)
        when the seller no longer owns it."""
        request = catalog_service_pb2.TransferItemRequest(
            request_id=key, item_id=str(item_id), from_owner_id=str(from_owner_id), to_owner_id=str(to_owner_id)
        )
        return await ask("catalog", self._stub.TransferItem, request, self._timeout, REFUSED) is not None

    async def game_exists(self, game_id: UUID) -> bool:
        request = catalog_service_pb2.GetGameRequest(game_id=str(game_id))
        return await ask("catalog", self._stub.GetGame, request, self._timeout) is not None

    async def category_exists(self, category_id: UUID) -> bool:
        request = catalog_service_pb2.GetCategoryRequest(category_id=str(category_id))
        return await ask("catalog", self._stub.GetCategory, request, self._timeout) is not None

    async def category_attributes(self, category_id: UUID) -> list[SearchAttribute] | None:
        """The category's attribute definitions in display order, as catalog gave them within
        ATTRIBUTES_TTL_SECONDS; None when the category does not exist (asked every time: it may be made)."""
        remembered = self._attributes.get(category_id)
        if remembered is not None and remembered[0] > time.monotonic():
            return remembered[1]
        attributes = await self._list_attributes(category_id)
        if attributes is not None:
            if len(self._attributes) >= MAX_REMEMBERED_CATEGORIES:
                self._attributes.clear()
            self._attributes[category_id] = (time.monotonic() + ATTRIBUTES_TTL_SECONDS, attributes)
        return attributes

    async def _list_attributes(self, category_id: UUID) -> list[SearchAttribute] | None:
        attributes: list[SearchAttribute] = []
        token = ""
        while True:
            request = catalog_service_pb2.ListAttributesRequest(
                category_id=str(category_id), page_size=100, page_token=token
            )
            page = await ask("catalog", self._stub.ListAttributes, request, self._timeout)
            if page is None:
                return None
            attributes += [_search_attribute(attribute) for attribute in page.attributes]
            token = page.next_page_token
            if not token:
                return attributes


def _search_attribute(attribute: resources_pb2.Attribute) -> SearchAttribute:
    return SearchAttribute(
        key=attribute.key,
        type=enums.from_proto(resources_pb2.AttributeType, AttributeType, attribute.type, "type", []),
        allowed_values=tuple(attribute.allowed_values),
        min_value=attribute.min if attribute.HasField("min") else None,
        max_value=attribute.max if attribute.HasField("max") else None,
        filterable=attribute.filterable,
    )


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

    async def hold(self, key: str, user_id: UUID, amount: Money, transaction_id: UUID | None) -> Posting:
        """Moves the amount from the user's available balance into a hold (for the transaction, or for a buy
        order when None); Refused when the balance is short (INSUFFICIENT_FUNDS) or accounts knows no such
        user (BUYER_NOT_FOUND)."""
        request = accounts_service_pb2.HoldFundsRequest(
            request_id=key, user_id=str(user_id), amount=amount.to_proto(), transaction_id=str(transaction_id or "")
        )
        answer = await ask("accounts", self._stub.HoldFunds, request, self._timeout, REFUSED)
        if answer is None:
            raise Refused(grpc.StatusCode.NOT_FOUND, "BUYER_NOT_FOUND", "accounts knows no such user")
        return Posting(UUID(answer.hold.id), UUID(answer.posting.id))

    async def capture(
        self, key: str, hold_id: UUID, seller_id: UUID, fee: Money, amount: Money | None = None
    ) -> Posting:
        """Pays all that is left of the hold, or the amount of it: the seller the amount minus the fee, the
        platform the fee."""
        request = accounts_service_pb2.CaptureFundsRequest(
            request_id=key,
            hold_id=str(hold_id),
            seller_id=str(seller_id),
            fee=fee.to_proto(),
            amount=amount.to_proto() if amount else None,
        )
        answer = await ask("accounts", self._stub.CaptureFunds, request, self._timeout)
        return Posting(hold_id, UUID(answer.posting.id))

    async def release(self, key: str, hold_id: UUID, amount: Money | None = None) -> Posting:
        """Gives all that is left of the hold, or the amount of it, back to its buyer."""
        request = accounts_service_pb2.ReleaseFundsRequest(
            request_id=key, hold_id=str(hold_id), amount=amount.to_proto() if amount else None
        )
        answer = await ask("accounts", self._stub.ReleaseFunds, request, self._timeout)
        return Posting(hold_id, UUID(answer.posting.id))
