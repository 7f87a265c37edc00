"""Rules of saved searches: how many an owner keeps, and their errors (services/trading/README.md, "Saved
searches"). What one asks of the listings is a standing query's terms (trading.domain.standing_queries)."""

from servicekit.errors import FailedPrecondition, NotFound


class SavedSearchNotFound(NotFound):
    reason = "SAVED_SEARCH_NOT_FOUND"


class SavedSearchLimitReached(FailedPrecondition):
    reason = "SAVED_SEARCH_LIMIT_REACHED"


def check_room(kept: int, limit: int) -> None:
    """Refuses one more saved search to an owner who keeps `kept` of them, at most `limit`."""
    if kept >= limit:
        raise SavedSearchLimitReached(
            f"you keep {kept} saved searches, the most allowed: delete one first", metadata={"limit": str(limit)}
        )
