"""Use cases of listings: create (from a catalog item or free-form), read, change, publish, cancel, like."""

import dataclasses
from uuid import UUID

import asyncpg
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from servicekit import idempotency
from servicekit.auth import Call, Caller
from servicekit.db import Database, broken_constraint
from servicekit.errors import FieldViolation, InvalidArgument
from servicekit.idempotency import Once
from servicekit.masks import apply_mask
from trading import events
from trading.clients import Accounts, Catalog
from trading.domain import listings as domain
from trading.domain.listings import CatalogFacts, ListingFields, ListingStatus, Move
from trading.models import Listing
from trading.repository import listings as repository
from trading.repository.listings import ListingView
from trading.service import offers
from trading.service.common import visible_listing

PREFIX = "listing."
ONE_OPEN_LISTING_PER_ITEM = "uq_listings_item_id_open"


async def _catalog_facts(
    catalog: Catalog, caller: Caller, fields: ListingFields
) -> tuple[CatalogFacts | None, list[FieldViolation]]:
    """What catalog says about what the listing sells, and every problem it finds with the seller's fields."""
    if fields.item_id is not None:
        item = await catalog.item(fields.item_id)
        if item is None:
            return None, [FieldViolation(f"{PREFIX}item_id", "is not a catalog item")]
        if item.owner_id != caller.user_id:
            raise domain.NotItemOwner(f"item {fields.item_id} belongs to someone else: only its owner may list it")
        return item.facts, domain.item_violations(fields, item.facts)
    if fields.category_id is None:
        return None, [FieldViolation(f"{PREFIX}category_id", "is required for a listing without an item")]
    return await _checked_values(catalog, fields.category_id, fields.attributes)


async def _checked_values(
    catalog: Catalog, category_id: UUID, values: dict[str, object]
) -> tuple[CatalogFacts | None, list[FieldViolation]]:
    scalars = {key: value for key, value in values.items() if not domain.unsupported(value)}
    checked = await catalog.check_values(category_id, scalars)
    if checked is None:
        return None, [FieldViolation(f"{PREFIX}category_id", "is not a catalog category")]
    return checked.facts, [FieldViolation(PREFIX + v.field, v.description) for v in checked.violations]


async def create_listing(
    db: Database,
    catalog: Catalog,
    accounts: Accounts,
    caller: Caller,
    fields: ListingFields,
    violations: list[FieldViolation],
    draft: bool,
    once: Once | None,
) -> ListingView:
    """A listing of the caller's catalog item, or of a thing described by its category's values;
    it starts active (or as a draft), placed where the seller's profile is unless given a location.
    `violations` are those found reading the request: every problem is reported at once."""
    fields, found = domain.check_fields(fields)
    violations = violations + found
    try:
        async with db.begin() as session:
            await idempotency.claim(session, once)
            # Catalog and accounts are asked after the claim: a repeated request answers the first
            # response even once the item has been sold on.
            facts, found = await _catalog_facts(catalog, caller, fields)
            if violations + found:
                raise InvalidArgument(violations + found)
            fields = domain.with_catalog_facts(fields, facts)
            if fields.location is None:
                fields = dataclasses.replace(fields, location=await accounts.location(caller.user_id))
            status = ListingStatus.DRAFT if draft else ListingStatus.ACTIVE
            listing = repository.new_listing(caller.user_id, fields, facts.game_id, status)
            session.add(listing)
            await session.flush()
            await repository.store_values(session, listing.id, listing.attributes)
            view = await _view(session, listing, caller.user_id)
            if status is ListingStatus.ACTIVE:
                events.listing_created(session, view)
            await idempotency.complete(session, once, view)
    except IntegrityError as exc:
        if broken_constraint(exc, asyncpg.UniqueViolationError) != ONE_OPEN_LISTING_PER_ITEM:
            raise
        raise domain.ItemAlreadyListed(
            f"item {fields.item_id} is in another listing already: cancel that one first"
        ) from None
    return view


async def _view(session: AsyncSession, listing: Listing, reader_id: UUID | None) -> ListingView:
    # Read back, so that the location comes as PostGIS stores it and the times as the database set them.
    await session.refresh(listing)
    return await repository.view_of(session, listing, reader_id)


async def _seller_listing(session: AsyncSession, listing_id: UUID, caller: Caller) -> Listing:
    """The caller's own listing, locked for a change; PERMISSION_DENIED for someone else's they can see."""
    listing = await visible_listing(session, listing_id, caller.user_id, for_update=True)
    domain.check_seller(listing.seller_id, caller.user_id)
    return listing


async def get_listing(db: Database, listing_id: UUID, call: Call | None) -> ListingView:
    """The listing, if the reader may see it; a reader other than the seller adds a view."""
    reader_id = call.caller.user_id if call and call.caller else None
    async with db.begin() as session:
        listing = await visible_listing(session, listing_id, reader_id)
        if domain.counts_as_view(call, listing.seller_id):
            await repository.add_view(session, listing.id)
        return await repository.view_of(session, listing, reader_id)


async def update_listing(
    db: Database,
    catalog: Catalog,
    caller: Caller,
    listing_id: UUID,
    patch: ListingFields,
    violations: list[FieldViolation],
    paths: list[str],
) -> ListingView:
    """Changes the fields the mask names of the caller's draft or active listing; `violations`
    are those found reading the request."""
    named = domain.mask_fields(paths)
    async with db.begin() as session:
        listing = await _seller_listing(session, listing_id, caller)
        domain.check_editable(listing.status)
        before = repository.fields_of(listing)
        after = apply_mask(
            before, patch, named, prefix=PREFIX, fields=domain.LISTING_MASK, immutable=domain.LISTING_IMMUTABLE
        )
        after, found = domain.check_fields(after)
        violations = violations + found
        if after.attributes != before.attributes:
            after, found = await _changed_values(catalog, listing, after)
            violations += found
        if violations:
            raise InvalidArgument(violations)
        changed = domain.changed_fields(before, after)
        if not changed:
            return await repository.view_of(session, listing, caller.user_id)
        repository.write_fields(listing, after)
        await session.flush()
        if after.attributes != before.attributes:
            await repository.store_values(session, listing.id, after.attributes)
        await offers.end_on_listing_change(session, listing.id, changed, before.price, after.price)
        view = await _view(session, listing, caller.user_id)
        if listing.status is ListingStatus.ACTIVE:
            events.listing_changed(session, view, changed)
        return view


async def _changed_values(
    catalog: Catalog, listing: Listing, fields: ListingFields
) -> tuple[ListingFields, list[FieldViolation]]:
    """The new values as catalog stores them; an item's values are the item's."""
    if listing.item_id is not None:
        return fields, [FieldViolation(f"{PREFIX}attributes", "are the item's values; they cannot be changed")]
    if listing.category_id is None:
        return fields, [FieldViolation(f"{PREFIX}attributes", "need a category, and this listing has none")]
    facts, violations = await _checked_values(catalog, listing.category_id, fields.attributes)
    return dataclasses.replace(fields, attributes=facts.attributes if facts else {}), violations


async def publish_listing(db: Database, caller: Caller, listing_id: UUID) -> ListingView:
    """Puts the caller's draft on sale."""
    async with db.begin() as session:
        listing = await _seller_listing(session, listing_id, caller)
        listing.status = domain.move(listing.status, Move.PUBLISH)
        await session.flush()
        view = await _view(session, listing, caller.user_id)
        events.listing_created(session, view)
        return view


async def cancel_listing(db: Database, caller: Caller, listing_id: UUID) -> ListingView:
    """Withdraws the caller's draft or active listing and expires its pending offers; an item in it may be listed again."""
    async with db.begin() as session:
        listing = await _seller_listing(session, listing_id, caller)
        was_on_sale = listing.status is ListingStatus.ACTIVE
        listing.status = domain.move(listing.status, Move.CANCEL)
        await session.flush()
        await offers.end_on_listing_change(session, listing.id)
        if was_on_sale:
            events.listing_cancelled(session, listing)
        return await _view(session, listing, caller.user_id)


async def like_listing(db: Database, caller: Caller, listing_id: UUID) -> ListingView:
    async with db.begin() as session:
        listing = await visible_listing(session, listing_id, caller.user_id)
        await repository.add_like(session, listing.id, caller.user_id)
        return await repository.view_of(session, listing, caller.user_id)


async def unlike_listing(db: Database, caller: Caller, listing_id: UUID) -> ListingView:
    async with db.begin() as session:
        listing = await visible_listing(session, listing_id, caller.user_id)
        await repository.remove_like(session, listing.id, caller.user_id)
        return await repository.view_of(session, listing, caller.user_id)
