"""Trading's resources as protos: what the servicer answers and what the events carry, built once here."""

from marketplace.trading.v1 import resources_pb2
from servicekit import enums
from servicekit.convert import timestamp
from servicekit.geo import point_from_wkb
from servicekit.money import Money
from servicekit.values import values_to_proto
from trading.models import StreamComment
from trading.repository.listings import ListingView
from trading.repository.offers import OfferView
from trading.repository.streams import StreamView


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
