"""Trading's resources as protos: what the servicer answers and what the events carry, built once here."""

from marketplace.trading.v1 import resources_pb2
from marketplace.trading.v1 import trading_service_pb2 as service_pb2
from servicekit import enums
from servicekit.convert import timestamp
from servicekit.geo import point_from_wkb
from servicekit.money import Money
from servicekit.values import values_to_proto
from trading.domain.listings import Condition, Feed
from trading.models import BuyOrder, BuyOrderFill, SavedSearch, StreamComment, Transaction
from trading.repository.listings import ListingView
from trading.repository.offers import OfferView
from trading.repository.streams import StreamView
from trading.search import Facet, SearchResult


def listing_to_proto(view: ListingView) -> resources_pb2.Listing:
    listing = view.listing
    location = point_from_wkb(listing.location)
    return resources_pb2.Listing(
        id=str(listing.id),
        seller_id=str(listing.seller_id),
        item_id=str(listing.item_id or ""),
        title=listing.title,
        description=listing.description,
        game_id=str(listing.game_id or ""),
        category_id=str(listing.category_id or ""),
        condition=enums.to_proto(resources_pb2.Condition, listing.condition),
        attributes=values_to_proto(listing.attributes),
        price=Money(listing.currency, listing.price_minor).to_proto(),
        location=location.to_proto() if location else None,
        feed=enums.to_proto(resources_pb2.Feed, listing.feed),
        image_urls=listing.image_urls,
        status=enums.to_proto(resources_pb2.ListingStatus, listing.status),
        create_time=timestamp(listing.created_at),
        update_time=timestamp(listing.updated_at),
        video_url=listing.video_url,
        thumbnail_url=listing.thumbnail_url,
        view_count=view.view_count,
        like_count=view.like_count,
        liked=view.liked,
    )


# The facets of enum values: a value is written as the proto names it, as a filter does.
ENUM_FACETS = {"condition": (resources_pb2.Condition, Condition), "feed": (resources_pb2.Feed, Feed)}


def facet_value_text(field: str, value: str) -> str:
    if field not in ENUM_FACETS:
        return value
    proto_enum, domain_enum = ENUM_FACETS[field]
    return proto_enum.Name(enums.to_proto(proto_enum, domain_enum(value)))


def facet_to_proto(facet: Facet) -> service_pb2.Facet:
    values = [service_pb2.FacetValue(value=facet_value_text(facet.field, v.value), count=v.count) for v in facet.values]
    return service_pb2.Facet(field=facet.field, values=values)


def search_result_to_proto(result: SearchResult) -> service_pb2.SearchListingsResponse:
    listings = []
    for hit in result.hits:
        listing = listing_to_proto(hit.view)
        if hit.distance_km is not None:
            listing.distance_km = hit.distance_km
        listings.append(listing)
    return service_pb2.SearchListingsResponse(
        listings=listings,
        next_page_token=result.next_page_token,
        facets=[facet_to_proto(facet) for facet in result.facets],
        total_size=result.total_size,
    )


def offer_to_proto(view: OfferView) -> resources_pb2.Offer:
    offer = view.offer
    return resources_pb2.Offer(
        id=str(offer.id),
        listing_id=str(offer.listing_id),
        buyer_id=str(offer.buyer_id),
        seller_id=str(offer.seller_id),
        proposer_id=str(offer.proposer_id),
        amount=Money(offer.currency, offer.amount_minor).to_proto(),
        message=offer.message,
        status=enums.to_proto(resources_pb2.OfferStatus, view.status),
        previous_offer_id=str(offer.previous_offer_id or ""),
        expire_time=timestamp(offer.expire_at),
        create_time=timestamp(offer.created_at),
        update_time=timestamp(offer.updated_at),
    )


def transaction_to_proto(transaction: Transaction) -> resources_pb2.Transaction:
    t = transaction
    amount = Money(t.currency, t.amount_minor)
    return resources_pb2.Transaction(
        id=str(t.id),
        listing_id=str(t.listing_id),
        offer_id=str(t.offer_id or ""),
        item_id=str(t.item_id or ""),
        buyer_id=str(t.buyer_id),
        seller_id=str(t.seller_id),
        status=enums.to_proto(resources_pb2.TransactionStatus, t.status),
        amount=amount.to_proto(),
        platform_fee=Money(t.currency, t.platform_fee_minor).to_proto(),
        seller_payout=Money(t.currency, t.amount_minor - t.platform_fee_minor).to_proto(),
        status_reason=t.status_reason,
        failure_reason=t.failure_reason,
        platform_fee_bps=t.platform_fee_bps,
        hold_id=str(t.hold_id or ""),
        hold_posting_id=str(t.hold_posting_id or ""),
        settle_posting_id=str(t.settle_posting_id or ""),
        create_time=timestamp(t.created_at),
        update_time=timestamp(t.updated_at),
        paid_time=timestamp(t.paid_at),
        auto_complete_time=timestamp(t.auto_complete_at),
        item_transfer_time=timestamp(t.item_transferred_at),
        close_time=timestamp(t.closed_at),
        settle_time=timestamp(t.settled_at),
    )


def stream_to_proto(view: StreamView) -> resources_pb2.Stream:
    stream = view.stream
    return resources_pb2.Stream(
        id=str(stream.id),
        owner_id=str(stream.owner_id),
        title=stream.title,
        description=stream.description,
        category_id=str(stream.category_id or ""),
        scheduled_at=timestamp(stream.scheduled_at),
        url=stream.url,
        thumbnail_url=stream.thumbnail_url,
        status=enums.to_proto(resources_pb2.StreamStatus, stream.status),
        start_time=timestamp(stream.started_at),
        end_time=timestamp(stream.ended_at),
        create_time=timestamp(stream.created_at),
        update_time=timestamp(stream.updated_at),
        viewer_count=view.viewer_count,
        like_count=view.like_count,
        comment_count=view.comment_count,
        share_count=view.share_count,
        liked=view.liked,
    )


def comment_to_proto(comment: StreamComment) -> resources_pb2.StreamComment:
    return resources_pb2.StreamComment(
        id=str(comment.id),
        stream_id=str(comment.stream_id),
        author_id=str(comment.author_id),
        text=comment.text,
        create_time=timestamp(comment.created_at),
    )


def buy_order_to_proto(
    order: BuyOrder, fills: list[tuple[BuyOrderFill, Transaction]] = (), *, in_book: bool = False
) -> resources_pb2.BuyOrder:
    """The order as its buyer sees it, with the fills given; `in_book`: as the order book shows it, without
    its buyer, its hold and its place."""
    query = order.query
    near = None if in_book else point_from_wkb(query.location)
    return resources_pb2.BuyOrder(
        id=str(order.id),
        buyer_id="" if in_book else str(order.buyer_id),
        category_id=str(query.category_id or ""),
        game_id=str(query.game_id or ""),
        q=order.q,
        attributes=order.attributes,
        conditions=[enums.to_proto(resources_pb2.Condition, condition) for condition in query.conditions or ()],
        near=near.to_proto() if near else None,
        radius_km=query.radius_m / 1000.0 if near else 0.0,
        max_price=Money(query.currency, query.max_price_minor).to_proto(),
        quantity=order.quantity,
        quantity_filled=order.quantity_filled,
        expire_time=timestamp(order.expire_at),
        status=enums.to_proto(resources_pb2.BuyOrderStatus, order.status),
        failure_reason=order.failure_reason,
        hold_id="" if in_book else str(order.hold_id or ""),
        fills=[fill_to_proto(fill, transaction) for fill, transaction in fills],
        create_time=timestamp(order.created_at),
        update_time=timestamp(order.updated_at),
    )


def fill_to_proto(fill: BuyOrderFill, transaction: Transaction) -> resources_pb2.BuyOrderFill:
    return resources_pb2.BuyOrderFill(
        transaction_id=str(transaction.id),
        listing_id=str(transaction.listing_id),
        price=Money(transaction.currency, transaction.amount_minor).to_proto(),
        status=enums.to_proto(resources_pb2.TransactionStatus, transaction.status),
        create_time=timestamp(fill.created_at),
    )


def saved_search_to_proto(search: SavedSearch) -> resources_pb2.SavedSearch:
    query = search.query
    near = point_from_wkb(query.location)
    return resources_pb2.SavedSearch(
        id=str(search.id),
        category_id=str(query.category_id or ""),
        game_id=str(query.game_id or ""),
        q=search.q,
        attributes=search.attributes,
        near=near.to_proto() if near else None,
        radius_km=query.radius_m / 1000.0 if near else 0.0,
        max_price=Money(query.currency, query.max_price_minor).to_proto() if query.currency else None,
        create_time=timestamp(search.created_at),
    )
