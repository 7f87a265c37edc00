"""The trading gRPC servicer: proto <-> domain, nothing else (the resources' protos: trading.resources)."""

from uuid import UUID

from google.protobuf import empty_pb2
from grpc.aio import ServicerContext

from marketplace.trading.v1 import resources_pb2
from marketplace.trading.v1 import trading_service_pb2 as pb
from marketplace.trading.v1 import trading_service_pb2_grpc as pb_grpc
from servicekit import enums
from servicekit.admin import AdminMethods
from servicekit.auth import current_call, require_caller
from servicekit.convert import from_timestamp
from servicekit.db import Database
from servicekit.errors import FieldViolation, InvalidArgument
from servicekit.geo import check_location
from servicekit.idempotency import Once
from servicekit.ids import parse_id, parse_optional_id
from servicekit.money import check_money
from servicekit.pagination import page_request
from servicekit.runtime_settings import SettingsStore
from servicekit.values import values_from_proto
from trading.domain.buy_orders import BuyOrderStatus, BuyOrderTerms
from trading.domain.listings import Condition, Feed, ListingFields, mask_fields
from trading.domain.offers import OfferStatus, OfferTerms
from trading.domain.settings import TradingRuntimeSettings
from trading.domain.standing_queries import QueryTerms
from trading.domain.streams import StreamFields, StreamStatus
from trading.domain.transactions import TransactionStatus
from trading.models import BuyOrder, Transaction
from trading.repository.offers import OfferView
from trading.resources import (
    buy_order_to_proto,
    comment_to_proto,
    listing_to_proto,
    offer_to_proto,
    saved_search_to_proto,
    search_result_to_proto,
    stream_to_proto,
    transaction_to_proto,
)
from trading.search import FIRST_PAGE, Near, SearchBackend, SearchQuery, SearchSort
from trading.service import (
    buy_orders,
    listings,
    offers,
    purchases,
    saved_searches,
    search,
    streams,
    transactions,
)
from trading.service.purchases import Saga


def listing_fields_from_proto(
    listing: resources_pb2.Listing, named: list[str] | None = None
) -> tuple[ListingFields, list[FieldViolation]]:
    """What the seller wrote, and what is wrong with how it is written (reported with whatever else the
    service finds); in an update only the fields the mask names are read."""
    violations: list[FieldViolation] = []

    def wanted(name: str) -> bool:
        return named is None or name in named

    price = check_money("listing.price", listing.price, violations) if wanted("price") else None
    location = (
        check_location("listing.location", listing.location, violations)
        if wanted("location") and listing.HasField("location")
        else None
    )
    condition = (
        enums.from_proto(resources_pb2.Condition, Condition, listing.condition, "listing.condition", violations)
        if wanted("condition")
        else None
    )
    feed = (
        enums.from_proto(resources_pb2.Feed, Feed, listing.feed, "listing.feed", violations) if wanted("feed") else None
    )
    fields = ListingFields(
        item_id=parse_optional_id("listing.item_id", listing.item_id, violations),
        category_id=parse_optional_id("listing.category_id", listing.category_id, violations),
        title=listing.title,
        description=listing.description,
        condition=condition,
        attributes=values_from_proto(listing.attributes),
        price=price,
        location=location,
        feed=feed or Feed.DISCOVER,
        image_urls=tuple(listing.image_urls),
        video_url=listing.video_url,
        thumbnail_url=listing.thumbnail_url,
    )
    return fields, violations


def update_paths(request: pb.UpdateListingRequest) -> list[str]:
    """The mask's paths or, without a mask, the fields set in the listing sent."""
    paths = list(request.update_mask.paths) or [field.name for field, _ in request.listing.ListFields()]
    if not paths:
        raise InvalidArgument.field("update_mask", "names no field: send the fields to change")
    return paths


def offer_terms_from_proto(
    request: pb.CreateOfferRequest | pb.CounterOfferRequest,
) -> tuple[OfferTerms, list[FieldViolation]]:
    """What the proposer wrote, and what is wrong with how it is written."""
    violations: list[FieldViolation] = []
    amount = check_money("amount", request.amount, violations)
    return OfferTerms(amount=amount, message=request.message, expires_in=request.expires_in), violations


def accepted_to_proto(accepted: tuple[OfferView, Transaction]) -> pb.AcceptOfferResponse:
    view, transaction = accepted
    return pb.AcceptOfferResponse(offer=offer_to_proto(view), transaction=transaction_to_proto(transaction))


def roles_from_proto(role: int, violations: list[FieldViolation]) -> tuple[bool, bool]:
    """Whether to list the caller's purchases, and their sales: both when no role is named."""
    if role not in pb.TransactionRole.values():
        violations.append(FieldViolation("role", f"{role} is not a known value"))
    return role != pb.TRANSACTION_ROLE_SELLER, role != pb.TRANSACTION_ROLE_BUYER


def stream_fields_from_proto(stream: resources_pb2.Stream) -> tuple[StreamFields, list[FieldViolation]]:
    """What the owner wrote, and what is wrong with how it is written."""
    violations: list[FieldViolation] = []
    scheduled_at = (
        from_timestamp("stream.scheduled_at", stream.scheduled_at, violations)
        if stream.HasField("scheduled_at")
        else None
    )
    fields = StreamFields(
        title=stream.title,
        description=stream.description,
        category_id=parse_optional_id("stream.category_id", stream.category_id, violations),
        scheduled_at=scheduled_at,
        url=stream.url,
        thumbnail_url=stream.thumbnail_url,
    )
    return fields, violations


def pin_ids(request: pb.PinStreamListingRequest | pb.UnpinStreamListingRequest) -> tuple[UUID, UUID]:
    """The stream's and the listing's ids, both checked at once (the kit has refused empty ones)."""
    violations: list[FieldViolation] = []
    stream_id = parse_optional_id("stream_id", request.stream_id, violations)
    listing_id = parse_optional_id("listing_id", request.listing_id, violations)
    if violations:
        raise InvalidArgument(violations)
    return stream_id, listing_id


def search_query_from_proto(request: pb.SearchListingsRequest) -> tuple[SearchQuery, list[FieldViolation]]:
    """The search asked, and what is wrong with how it is written (checked with the rest by the service)."""
    violations: list[FieldViolation] = []
    near = Near(request.near.lat, request.near.lng, request.near.radius_km) if request.HasField("near") else None
    page = FIRST_PAGE
    try:
        page = page_request(request.page_size, request.page_token)
    except InvalidArgument as exc:
        violations += exc.violations
    query = SearchQuery(
        text=request.q,
        game_id=parse_optional_id("game_id", request.game_id, violations),
        category_id=parse_optional_id("category_id", request.category_id, violations),
        attributes=tuple(request.attributes),
        min_price=request.min_price if request.HasField("min_price") else None,
        max_price=request.max_price if request.HasField("max_price") else None,
        currency=request.currency,
        near=near,
        feed=enums.from_proto(resources_pb2.Feed, Feed, request.feed, "feed", violations),
        seller_id=parse_optional_id("seller_id", request.seller_id, violations),
        sort=enums.from_proto(pb.ListingSort, SearchSort, request.sort, "sort", violations),
        page=page,
    )
    return query, violations


def query_terms_from_proto(
    field: str,
    message: resources_pb2.BuyOrder | resources_pb2.SavedSearch,
    conditions: tuple[Condition, ...],
    violations: list[FieldViolation],
    cap_required: bool,
) -> QueryTerms:
    """What a buy order or a saved search asks of the listings (their fields share names); a price cap
    that is not required may be left unset (None)."""
    return QueryTerms(
        category_id=parse_optional_id(f"{field}.category_id", message.category_id, violations),
        game_id=parse_optional_id(f"{field}.game_id", message.game_id, violations),
        q=message.q,
        attributes=tuple(message.attributes),
        conditions=conditions,
        near=check_location(f"{field}.near", message.near, violations) if message.HasField("near") else None,
        radius_km=message.radius_km,
        max_price=(
            check_money(f"{field}.max_price", message.max_price, violations)
            if cap_required or message.HasField("max_price")
            else None
        ),
    )


def buy_order_terms_from_proto(order: resources_pb2.BuyOrder) -> tuple[BuyOrderTerms, list[FieldViolation]]:
    """What the buyer wrote, and what is wrong with how it is written (reported with the rest)."""
    violations: list[FieldViolation] = []
    conditions = tuple(
        enums.from_proto(resources_pb2.Condition, Condition, value, f"buy_order.conditions[{index}]", violations)
        for index, value in enumerate(order.conditions)
    )
    if 0 in order.conditions:
        violations.append(FieldViolation("buy_order.conditions", "CONDITION_UNSPECIFIED matches nothing: leave it out"))
    expire_at = (
        from_timestamp("buy_order.expire_time", order.expire_time, violations)
        if order.HasField("expire_time")
        else None
    )
    known = tuple(condition for condition in conditions if condition is not None)
    terms = BuyOrderTerms(
        query=query_terms_from_proto("buy_order", order, known, violations, cap_required=True),
        quantity=order.quantity or 1,
        expire_at=expire_at,
    )
    return terms, violations


def buy_order_answer(found: tuple[BuyOrder, list]) -> resources_pb2.BuyOrder:
    order, fills = found
    return buy_order_to_proto(order, fills)


def reader_id() -> UUID | None:
    """The signed-in user reading a public method, if any."""
    call = current_call()
    return call.caller.user_id if call and call.caller else None


class TradingApi(AdminMethods, pb_grpc.TradingServiceServicer):
    def __init__(
        self,
        db: Database,
        runtime_settings: SettingsStore[TradingRuntimeSettings],
        saga: Saga,
        search_backend: SearchBackend,
    ) -> None:
        super().__init__(db, runtime_settings)
        self._saga = saga
        self._search = search_backend
        self._catalog = saga.catalog
        self._accounts = saga.accounts

    async def CreateListing(self, request: pb.CreateListingRequest, context: ServicerContext) -> resources_pb2.Listing:
        fields, violations = listing_fields_from_proto(request.listing)
        view = await listings.create_listing(
            self._db,
            self._catalog,
            self._accounts,
            require_caller(),
            fields,
            violations,
            request.draft,
            Once.of(request, listing_to_proto),
        )
        return listing_to_proto(view)

    async def SearchListings(
        self, request: pb.SearchListingsRequest, context: ServicerContext
    ) -> pb.SearchListingsResponse:
        query, violations = search_query_from_proto(request)
        result = await search.search_listings(self._search, self._catalog, query, violations, reader_id())
        return search_result_to_proto(result)

    async def GetListing(self, request: pb.GetListingRequest, context: ServicerContext) -> resources_pb2.Listing:
        view = await listings.get_listing(self._db, parse_id("listing_id", request.listing_id), current_call())
        return listing_to_proto(view)

    async def UpdateListing(self, request: pb.UpdateListingRequest, context: ServicerContext) -> resources_pb2.Listing:
        listing_id = parse_id("listing_id", request.listing_id)
        paths = update_paths(request)
        patch, violations = listing_fields_from_proto(request.listing, mask_fields(paths))
        view = await listings.update_listing(
            self._db, self._catalog, require_caller(), listing_id, patch, violations, paths
        )
        return listing_to_proto(view)

    async def CancelListing(self, request: pb.CancelListingRequest, context: ServicerContext) -> resources_pb2.Listing:
        view = await listings.cancel_listing(self._db, require_caller(), parse_id("listing_id", request.listing_id))
        return listing_to_proto(view)

    async def PublishListing(
        self, request: pb.PublishListingRequest, context: ServicerContext
    ) -> resources_pb2.Listing:
        view = await listings.publish_listing(self._db, require_caller(), parse_id("listing_id", request.listing_id))
        return listing_to_proto(view)

    async def LikeListing(self, request: pb.LikeListingRequest, context: ServicerContext) -> resources_pb2.Listing:
        view = await listings.like_listing(self._db, require_caller(), parse_id("listing_id", request.listing_id))
        return listing_to_proto(view)

    async def UnlikeListing(self, request: pb.UnlikeListingRequest, context: ServicerContext) -> resources_pb2.Listing:
        view = await listings.unlike_listing(self._db, require_caller(), parse_id("listing_id", request.listing_id))
        return listing_to_proto(view)

    async def CreateOffer(self, request: pb.CreateOfferRequest, context: ServicerContext) -> resources_pb2.Offer:
        listing_id = parse_id("listing_id", request.listing_id)
        terms, violations = offer_terms_from_proto(request)
        view = await offers.create_offer(
            self._db,
            self._runtime_settings.values,
            require_caller(),
            listing_id,
            terms,
            violations,
            Once.of(request, offer_to_proto),
        )
        return offer_to_proto(view)

    async def ListOffers(self, request: pb.ListOffersRequest, context: ServicerContext) -> pb.ListOffersResponse:
        listing_id = parse_id("listing_id", request.listing_id)
        violations: list[FieldViolation] = []
        status = enums.from_proto(resources_pb2.OfferStatus, OfferStatus, request.status, "status", violations)
        if violations:
            raise InvalidArgument(violations)
        page = page_request(request.page_size, request.page_token)
        views, token = await offers.list_offers(self._db, require_caller(), listing_id, status, page)
        return pb.ListOffersResponse(offers=[offer_to_proto(view) for view in views], next_page_token=token)

    async def GetOffer(self, request: pb.GetOfferRequest, context: ServicerContext) -> resources_pb2.Offer:
        view = await offers.get_offer(self._db, require_caller(), parse_id("offer_id", request.offer_id))
        return offer_to_proto(view)

    async def AcceptOffer(self, request: pb.AcceptOfferRequest, context: ServicerContext) -> pb.AcceptOfferResponse:
        offer_id = parse_id("offer_id", request.offer_id)
        accepted = await purchases.accept_offer(
            self._saga, require_caller(), offer_id, Once.of(request, accepted_to_proto)
        )
        return accepted_to_proto(accepted)

    async def RejectOffer(self, request: pb.RejectOfferRequest, context: ServicerContext) -> resources_pb2.Offer:
        view = await offers.reject_offer(self._db, require_caller(), parse_id("offer_id", request.offer_id))
        return offer_to_proto(view)

    async def CancelOffer(self, request: pb.CancelOfferRequest, context: ServicerContext) -> resources_pb2.Offer:
        view = await offers.cancel_offer(self._db, require_caller(), parse_id("offer_id", request.offer_id))
        return offer_to_proto(view)

    async def CounterOffer(self, request: pb.CounterOfferRequest, context: ServicerContext) -> resources_pb2.Offer:
        offer_id = parse_id("offer_id", request.offer_id)
        terms, violations = offer_terms_from_proto(request)
        view = await offers.counter_offer(
            self._db,
            self._runtime_settings.values,
            require_caller(),
            offer_id,
            terms,
            violations,
            Once.of(request, offer_to_proto),
        )
        return offer_to_proto(view)

    async def BuyListing(self, request: pb.BuyListingRequest, context: ServicerContext) -> resources_pb2.Transaction:
        listing_id = parse_id("listing_id", request.listing_id)
        once = Once.of(request, transaction_to_proto)
        return transaction_to_proto(await purchases.buy_listing(self._saga, require_caller(), listing_id, once))

    async def GetTransaction(
        self, request: pb.GetTransactionRequest, context: ServicerContext
    ) -> resources_pb2.Transaction:
        transaction_id = parse_id("transaction_id", request.transaction_id)
        return transaction_to_proto(await transactions.get_transaction(self._saga, require_caller(), transaction_id))

    async def ListMyTransactions(
        self, request: pb.ListMyTransactionsRequest, context: ServicerContext
    ) -> pb.ListMyTransactionsResponse:
        violations: list[FieldViolation] = []
        as_buyer, as_seller = roles_from_proto(request.role, violations)
        status = enums.from_proto(
            resources_pb2.TransactionStatus, TransactionStatus, request.status, "status", violations
        )
        if violations:
            raise InvalidArgument(violations)
        page = page_request(request.page_size, request.page_token)
        found, token = await transactions.list_transactions(
            self._saga, require_caller(), as_buyer, as_seller, status, page
        )
        return pb.ListMyTransactionsResponse(
            transactions=[transaction_to_proto(t) for t in found], next_page_token=token
        )

    async def ConfirmTransaction(
        self, request: pb.ConfirmTransactionRequest, context: ServicerContext
    ) -> resources_pb2.Transaction:
        transaction_id = parse_id("transaction_id", request.transaction_id)
        once = Once.of(request, transaction_to_proto)
        confirmed = await transactions.confirm_transaction(self._saga, require_caller(), transaction_id, once)
        return transaction_to_proto(confirmed)

    async def RefundTransaction(
        self, request: pb.RefundTransactionRequest, context: ServicerContext
    ) -> resources_pb2.Transaction:
        transaction_id = parse_id("transaction_id", request.transaction_id)
        once = Once.of(request, transaction_to_proto)
        refunded = await transactions.refund_transaction(
            self._saga, require_caller(), transaction_id, request.reason, once
        )
        return transaction_to_proto(refunded)

    async def CreateStream(self, request: pb.CreateStreamRequest, context: ServicerContext) -> resources_pb2.Stream:
        fields, violations = stream_fields_from_proto(request.stream)
        view = await streams.create_stream(
            self._db,
            self._catalog,
            self._runtime_settings.values,
            require_caller(),
            fields,
            violations,
            Once.of(request, stream_to_proto),
        )
        return stream_to_proto(view)

    async def GetStream(self, request: pb.GetStreamRequest, context: ServicerContext) -> resources_pb2.Stream:
        view = await streams.get_stream(self._db, parse_id("stream_id", request.stream_id), reader_id())
        return stream_to_proto(view)

    async def ListStreams(self, request: pb.ListStreamsRequest, context: ServicerContext) -> pb.ListStreamsResponse:
        violations: list[FieldViolation] = []
        status = enums.from_proto(resources_pb2.StreamStatus, StreamStatus, request.status, "status", violations)
        owner_id = parse_optional_id("owner_id", request.owner_id, violations)
        category_id = parse_optional_id("category_id", request.category_id, violations)
        if violations:
            raise InvalidArgument(violations)
        page = page_request(request.page_size, request.page_token)
        views, token = await streams.list_streams(self._db, status, owner_id, category_id, reader_id(), page)
        return pb.ListStreamsResponse(streams=[stream_to_proto(view) for view in views], next_page_token=token)

    async def StartStream(self, request: pb.StartStreamRequest, context: ServicerContext) -> resources_pb2.Stream:
        stream_id = parse_id("stream_id", request.stream_id)
        view = await streams.start_stream(self._db, self._runtime_settings.values, require_caller(), stream_id)
        return stream_to_proto(view)

    async def EndStream(self, request: pb.EndStreamRequest, context: ServicerContext) -> resources_pb2.Stream:
        view = await streams.end_stream(self._db, require_caller(), parse_id("stream_id", request.stream_id))
        return stream_to_proto(view)

    async def ViewStream(self, request: pb.ViewStreamRequest, context: ServicerContext) -> resources_pb2.Stream:
        view = await streams.view_stream(self._db, current_call(), parse_id("stream_id", request.stream_id))
        return stream_to_proto(view)

    async def LikeStream(self, request: pb.LikeStreamRequest, context: ServicerContext) -> resources_pb2.Stream:
        view = await streams.like_stream(self._db, require_caller(), parse_id("stream_id", request.stream_id))
        return stream_to_proto(view)

    async def UnlikeStream(self, request: pb.UnlikeStreamRequest, context: ServicerContext) -> resources_pb2.Stream:
        view = await streams.unlike_stream(self._db, require_caller(), parse_id("stream_id", request.stream_id))
        return stream_to_proto(view)

    async def ShareStream(self, request: pb.ShareStreamRequest, context: ServicerContext) -> resources_pb2.Stream:
        view = await streams.share_stream(self._db, require_caller(), parse_id("stream_id", request.stream_id))
        return stream_to_proto(view)

    async def CreateStreamComment(
        self, request: pb.CreateStreamCommentRequest, context: ServicerContext
    ) -> resources_pb2.StreamComment:
        stream_id = parse_id("stream_id", request.stream_id)
        once = Once.of(request, comment_to_proto)
        comment = await streams.create_comment(self._db, require_caller(), stream_id, request.comment.text, once)
        return comment_to_proto(comment)

    async def ListStreamComments(
        self, request: pb.ListStreamCommentsRequest, context: ServicerContext
    ) -> pb.ListStreamCommentsResponse:
        stream_id = parse_id("stream_id", request.stream_id)
        page = page_request(request.page_size, request.page_token)
        comments, token = await streams.list_comments(self._db, stream_id, page)
        return pb.ListStreamCommentsResponse(
            comments=[comment_to_proto(comment) for comment in comments], next_page_token=token
        )

    async def PinStreamListing(
        self, request: pb.PinStreamListingRequest, context: ServicerContext
    ) -> resources_pb2.Listing:
        stream_id, listing_id = pin_ids(request)
        view = await streams.pin_listing(self._db, require_caller(), stream_id, listing_id)
        return listing_to_proto(view)

    async def UnpinStreamListing(
        self, request: pb.UnpinStreamListingRequest, context: ServicerContext
    ) -> empty_pb2.Empty:
        stream_id, listing_id = pin_ids(request)
        await streams.unpin_listing(self._db, require_caller(), stream_id, listing_id)
        return empty_pb2.Empty()

    async def ListStreamListings(
        self, request: pb.ListStreamListingsRequest, context: ServicerContext
    ) -> pb.ListStreamListingsResponse:
        stream_id = parse_id("stream_id", request.stream_id)
        page = page_request(request.page_size, request.page_token)
        views, token = await streams.list_pinned_listings(self._db, stream_id, reader_id(), page)
        return pb.ListStreamListingsResponse(listings=[listing_to_proto(view) for view in views], next_page_token=token)

    async def CreateBuyOrder(
        self, request: pb.CreateBuyOrderRequest, context: ServicerContext
    ) -> resources_pb2.BuyOrder:
        terms, violations = buy_order_terms_from_proto(request.buy_order)
        once = Once.of(request, buy_order_answer)
        return buy_order_answer(
            await buy_orders.create_buy_order(self._saga, require_caller(), terms, violations, once)
        )

    async def ListBuyOrders(
        self, request: pb.ListBuyOrdersRequest, context: ServicerContext
    ) -> pb.ListBuyOrdersResponse:
        violations: list[FieldViolation] = []
        status = enums.from_proto(resources_pb2.BuyOrderStatus, BuyOrderStatus, request.status, "status", violations)
        if violations:
            raise InvalidArgument(violations)
        page = page_request(request.page_size, request.page_token)
        orders, token = await buy_orders.list_buy_orders(self._saga, require_caller(), status, page)
        return pb.ListBuyOrdersResponse(
            buy_orders=[buy_order_to_proto(order) for order in orders], next_page_token=token
        )

    async def GetBuyOrder(self, request: pb.GetBuyOrderRequest, context: ServicerContext) -> resources_pb2.BuyOrder:
        order_id = parse_id("buy_order_id", request.buy_order_id)
        return buy_order_answer(await buy_orders.get_buy_order(self._saga, require_caller(), order_id))

    async def CancelBuyOrder(
        self, request: pb.CancelBuyOrderRequest, context: ServicerContext
    ) -> resources_pb2.BuyOrder:
        order_id = parse_id("buy_order_id", request.buy_order_id)
        return buy_order_answer(await buy_orders.cancel_buy_order(self._saga, require_caller(), order_id))

    async def ListCategoryBuyOrders(
        self, request: pb.ListCategoryBuyOrdersRequest, context: ServicerContext
    ) -> pb.ListCategoryBuyOrdersResponse:
        category_id = parse_id("category_id", request.category_id)
        page = page_request(request.page_size, request.page_token)
        orders, token = await buy_orders.order_book(self._saga, category_id, page)
        return pb.ListCategoryBuyOrdersResponse(
            buy_orders=[buy_order_to_proto(order, in_book=True) for order in orders], next_page_token=token
        )

    async def CreateSavedSearch(
        self, request: pb.CreateSavedSearchRequest, context: ServicerContext
    ) -> resources_pb2.SavedSearch:
        violations: list[FieldViolation] = []
        terms = query_terms_from_proto("saved_search", request.saved_search, (), violations, cap_required=False)
        search = await saved_searches.create_saved_search(
            self._db, self._catalog, self._runtime_settings, require_caller(), terms, violations
        )
        return saved_search_to_proto(search)

    async def ListSavedSearches(
        self, request: pb.ListSavedSearchesRequest, context: ServicerContext
    ) -> pb.ListSavedSearchesResponse:
        page = page_request(request.page_size, request.page_token)
        searches, token = await saved_searches.list_saved_searches(self._db, require_caller(), page)
        return pb.ListSavedSearchesResponse(
            saved_searches=[saved_search_to_proto(search) for search in searches], next_page_token=token
        )

    async def DeleteSavedSearch(
        self, request: pb.DeleteSavedSearchRequest, context: ServicerContext
    ) -> empty_pb2.Empty:
        search_id = parse_id("saved_search_id", request.saved_search_id)
        await saved_searches.delete_saved_search(self._db, require_caller(), search_id)
        return empty_pb2.Empty()
