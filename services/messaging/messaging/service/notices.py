"""Use cases of trading's events (messaging.consumers): each posts its notice in the conversation of the buyer and
the seller about the listing, started when there is none, inside the consumer's transaction."""

from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from messaging.domain.messages import MessageKind
from messaging.domain.notices import Notice
from messaging.repository import messages as repository
from messaging.service.common import open_conversation
from messaging.service.messages import post


async def post_notice(session: AsyncSession, listing_id: UUID, buyer_id: UUID, seller_id: UUID, notice: Notice) -> bool:
    """Posts the notice, an offer in its proposer's name or a system message; False when it was posted before
    (the same event again), and then nothing is done."""
    conversation = await open_conversation(session, listing_id, buyer_id, seller_id)
    kind = MessageKind.SYSTEM if notice.sender_id is None else MessageKind.OFFER
    message = await post(
        session, conversation, notice.sender_id, kind, notice.text, offer_id=notice.offer_id, origin=notice.origin
    )
    return message is not None


async def offer_proposer(session: AsyncSession, offer_id: UUID, buyer_id: UUID) -> UUID:
    """Who made the offer, as its offer message says; the buyer when none was posted (a first offer is theirs)."""
    return await repository.offer_proposer(session, offer_id) or buyer_id
