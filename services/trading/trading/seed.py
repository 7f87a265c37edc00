"""Trading's demo market (`python -m trading seed`), what a newcomer finds after `make run`: safe to run again.

In development, the demo seller (servicekit.demo) has game items of catalog's seeded games on sale, made in
catalog through its API in the seller's name, and things in the General game's categories in five cities; the
demo buyer has offers on some of them, one of which the seller countered, and has bought one game item through
the purchase saga, so that accounts' ledger and catalog's ownership agree with trading. The data is seed_data.py.

It runs after catalog's and accounts' seeds, once their services serve (`make run`, SEEDS_AFTER_START): the demo
users sign in through accounts, and the use cases call catalog and accounts as they do for an RPC.

Running it again changes nothing: what exists is found first and left alone, with whatever the demo users
changed since. A listing is found by its seller and title, whatever its status; an offer as the buyer's on its
listing; the purchase is made while its listing is on sale only. Items are made with deterministic request ids,
so that an item made by a run that stopped before listing it is the one the next run lists.
"""

import logging
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import grpc

from marketplace.catalog.v1 import catalog_service_pb2 as catalog_pb
from marketplace.catalog.v1 import catalog_service_pb2_grpc, resources_pb2
from servicekit.demo import DEMO_SELLER, DemoSession, both_signed_in
from servicekit.pagination import MAX_PAGE_SIZE, Page
from servicekit.runtime import Runtime
from servicekit.values import Scalar, values_to_proto
from trading.domain.listings import ListingFields, ListingStatus
from trading.domain.offers import OfferStatus, OfferTerms
from trading.domain.streams import StreamFields, StreamStatus
from trading.domain.transactions import PurchaseFailed, PurchaseUndone, TransactionStatus
from trading.models import Listing
from trading.repository import listings as listing_rows
from trading.repository import streams as stream_rows
from trading.seed_data import (
    CITIES,
    GENERAL,
    GOODS,
    ITEMS,
    OFFERS,
    PURCHASE,
    STREAMS,
    GoodsListing,
    ItemListing,
    pictures,
)
from trading.service import listings, offers, purchases, streams
from trading.service.purchases import Saga

log = logging.getLogger("trading.seed")


class DemoCatalog:
    """The seed's calls to catalog: its seeded games, categories and templates by name, and new items in a demo
    user's name."""

    def __init__(self, channel: grpc.aio.Channel, timeout: float) -> None:
        self._stub = catalog_service_pb2_grpc.CatalogServiceStub(channel)
        self._timeout = timeout
        self._found: dict[tuple[str, ...], Any] = {}

    async def _call(self, method: Any, request: Any, metadata: tuple = ()) -> Any:
        # The seed's own data is at stake: catalog's refusals are shown as they are.
        return await method(request, metadata=metadata, timeout=self._timeout, wait_for_ready=True)

    async def _named(self, key: tuple[str, ...], method: Any, request: Any, entries: str) -> Any:
        """The entry named key[-1] in the pages of a catalog list, or None."""
        if key not in self._found:
            self._found[key] = None
            request.page_size = MAX_PAGE_SIZE
            while self._found[key] is None:
                page = await self._call(method, request)
                self._found[key] = next((e for e in getattr(page, entries) if e.name == key[-1]), None)
                if not page.next_page_token:
                    break
                request.page_token = page.next_page_token
        return self._found[key]

    async def category(self, game: str, category: str) -> resources_pb2.Category | None:
        found = await self._named((game,), self._stub.ListGames, catalog_pb.ListGamesRequest(), "games")
        if found is None:
            return None
        request = catalog_pb.ListCategoriesRequest(game_id=found.id)
        return await self._named((game, category), self._stub.ListCategories, request, "categories")

    async def template(self, game: str, category: str, template: str) -> resources_pb2.Template | None:
        found = await self.category(game, category)
        if found is None:
            return None
        request = catalog_pb.ListTemplatesRequest(category_id=found.id)
        return await self._named((game, category, template), self._stub.ListTemplates, request, "templates")

    async def new_item(self, owner: DemoSession, request_id: str, template_id: str, values: dict[str, Scalar]) -> UUID:
        """An item of the template owned by `owner`; the same request id answers the same item."""
        item = resources_pb2.Item(template_id=template_id, attributes=values_to_proto(values))
        request = catalog_pb.CreateItemRequest(item=item, request_id=request_id)
        return UUID((await self._call(self._stub.CreateItem, request, owner.auth)).id)


@dataclass
class Seeding:
    """What the seed works with, and what it added."""

    saga: Saga
    catalog: DemoCatalog
    seller: DemoSession
    buyer: DemoSession
    added: Counter[str] = field(default_factory=Counter)


async def seed(runtime: Runtime, saga: Saga) -> None:
    settings = runtime.settings
    if not settings.development:
        log.info("no demo market outside development")
        return
    accounts, timeout = runtime.channel("accounts"), settings.call_timeout_seconds
    async with both_signed_in(accounts, timeout) as demo_users:
        if demo_users is None:
            log.warning("the demo users cannot sign in (accounts' seed makes them in development): no demo market")
            return
        seller, buyer = demo_users
        seeding = Seeding(saga, DemoCatalog(runtime.channel("catalog"), timeout), seller, buyer)
        market = await _listings(seeding)
        await _offers(seeding, market)
        await _purchase(seeding, market.get(PURCHASE))
        await _streams(seeding, market)
    added = ", ".join(f"{what}: {count}" for what, count in seeding.added.items())
    log.info("trading seeded: %s", added or "nothing added, all there")
    if example := market.get(GOODS[0].title):
        print(f"demo market: {len(market)} listings of {DEMO_SELLER.email}, e.g. /v1/listings/{example.id}", flush=True)


async def _listings(seeding: Seeding) -> dict[str, Listing]:
    """The seller's demo listings by title: those found, and those made now."""
    found: dict[str, Listing] = {}
    for spec in (*ITEMS, *GOODS):
        async with seeding.saga.db.read() as session:
            listing = await listing_rows.find_seller_listing(session, seeding.seller.caller.user_id, spec.title)
        if listing is None:
            fields = await (
                _item_fields(seeding, spec) if isinstance(spec, ItemListing) else _goods_fields(seeding, spec)
            )
            listing = await _create(seeding, fields) if fields else None
        if listing is not None:
            found[spec.title] = listing
    return found


async def _item_fields(seeding: Seeding, spec: ItemListing) -> ListingFields | None:
    """A listing of a new item of the seller's, made from the template; None when catalog has no such template."""
    template = await seeding.catalog.template(spec.game, spec.category, spec.template)
    if template is None:
        log.warning(
            "catalog has no template %r in %s / %s: %r left out", spec.template, spec.game, spec.category, spec.title
        )
        return None
    item_id = await seeding.catalog.new_item(seeding.seller, f"demo-market-item-{spec.slug}", template.id, spec.values)
    return ListingFields(
        item_id=item_id,
        title=spec.title,
        description=spec.description,
        price=spec.price,
        image_urls=pictures(spec.slug),
    )


async def _goods_fields(seeding: Seeding, spec: GoodsListing) -> ListingFields | None:
    """A free-form listing in the General game's category; None when catalog has no such category."""
    category = await seeding.catalog.category(GENERAL, spec.category)
    if category is None:
        log.warning("catalog has no category %r in %s: %r left out", spec.category, GENERAL, spec.title)
        return None
    return ListingFields(
        category_id=UUID(category.id),
        title=spec.title,
        description=spec.description,
        condition=spec.condition,
        attributes=dict(spec.values),
        price=spec.price,
        location=CITIES[spec.city],
        feed=spec.feed,
        image_urls=pictures(spec.slug),
    )


async def _create(seeding: Seeding, fields: ListingFields) -> Listing:
    saga = seeding.saga
    view = await listings.create_listing(
        saga.db, saga.catalog, saga.accounts, seeding.seller.caller, fields, [], False, None
    )
    seeding.added["listings"] += 1
    return view.listing


async def _offers(seeding: Seeding, market: dict[str, Listing]) -> None:
    """The buyer's first offer on each listing named, made unless there is one; then the seller's counter-offer
    where there should be one, unless the first was answered already. Open as long as an offer may be."""
    db, settings = seeding.saga.db, seeding.saga.runtime_settings.values
    lifetime = int(settings.offer_max_lifetime.total_seconds())
    for spec in OFFERS:
        listing = market.get(spec.listing)
        if listing is None:
            continue
        # Newest first: the buyer's first offer is the last without a previous one.
        made, _ = await offers.list_offers(db, seeding.buyer.caller, listing.id, None, Page(MAX_PAGE_SIZE))
        first = next((view for view in reversed(made) if view.offer.previous_offer_id is None), None)
        if first is None and listing.status is ListingStatus.ACTIVE:
            terms = OfferTerms(spec.amount, spec.message, lifetime)
            first = await offers.create_offer(db, settings, seeding.buyer.caller, listing.id, terms, [], None)
            seeding.added["offers"] += 1
        answerable = first is not None and first.status is OfferStatus.PENDING
        if spec.counter is None or not answerable or listing.status is not ListingStatus.ACTIVE:
            continue
        terms = OfferTerms(spec.counter, spec.counter_message, lifetime)
        await offers.counter_offer(db, settings, seeding.seller.caller, first.offer.id, terms, [], None)
        seeding.added["counter-offers"] += 1


async def _purchase(seeding: Seeding, listing: Listing | None) -> None:
    """The buyer buys the game item at its price, through the saga: funds held, the item transferred, the seller
    paid. Only while the listing is on sale: once sold (or reserved by a purchase under way) it was bought."""
    if listing is None or listing.status is not ListingStatus.ACTIVE:
        return
    try:
        transaction = await purchases.buy_listing(seeding.saga, seeding.buyer.caller, listing.id, None)
    except (PurchaseFailed, PurchaseUndone) as refused:
        log.warning("the demo buyer could not buy %r: %s", listing.title, refused)
        return
    seeding.added["purchases"] += 1
    if transaction.status is not TransactionStatus.COMPLETED:
        log.warning(
            "the demo purchase of %r is %s: the reconciler finishes it", listing.title, transaction.status.value
        )


async def _streams(seeding: Seeding, market: dict[str, Listing]) -> None:
    """The seller's streams: one live, pinning game items on sale, and one scheduled two days ahead; each made
    unless there is one of its title, then its listings pinned again (a pin made twice is one)."""
    db, settings, seller = seeding.saga.db, seeding.saga.runtime_settings.values, seeding.seller.caller
    for spec in STREAMS:
        async with db.read() as session:
            stream = await stream_rows.find_owner_stream(session, seller.user_id, spec.title)
        if stream is None:
            category = await seeding.catalog.category(spec.game, spec.category)
            fields = StreamFields(
                title=spec.title,
                description=spec.description,
                category_id=UUID(category.id) if category else None,
                scheduled_at=datetime.now(UTC) + timedelta(hours=spec.hours_ahead),
                url=spec.url,
                thumbnail_url=pictures(spec.slug, 1)[0],
            )
            view = await streams.create_stream(db, seeding.saga.catalog, settings, seller, fields, [], None)
            stream = view.stream
            seeding.added["streams"] += 1
            if spec.live:
                await streams.start_stream(db, settings, seller, stream.id)
        if stream.status is StreamStatus.ENDED:
            continue
        for title in spec.pins:
            listing = market.get(title)
            if listing is not None and listing.status is ListingStatus.ACTIVE:
                await streams.pin_listing(db, seller, stream.id, listing.id)
