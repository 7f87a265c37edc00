"""`python -m trading reindex`: rebuilds the Elasticsearch index of listings from PostgreSQL, without downtime.

A new physical index is filled from one snapshot of the listings with a progress bar, caught up with the
outbox, and the alias swapped onto it (trading.search.indexer.build); searches read the old index until
the swap and the new one after. The old index is dropped once searches begun before the swap are done.
"""

import argparse
import asyncio

from elasticsearch import AsyncElasticsearch
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from servicekit.db import Database
from trading.config import TradingSettings
from trading.search.index import ListingIndex
from trading.search.indexer import build

# Longer than any search runs: searches on the old index finish before it goes.
DROP_AFTER_SECONDS = 5.0


def main(settings: TradingSettings, argv: list[str]) -> None:
    """rebuild the Elasticsearch index of listings from PostgreSQL into a new index and swap the alias"""
    parser = argparse.ArgumentParser(prog="python -m trading reindex", description=main.__doc__)
    parser.parse_args(argv)
    if not settings.elasticsearch_url:
        parser.error("ELASTICSEARCH_URL is not set: there is no index to rebuild")
    try:
        asyncio.run(reindex(settings))
    except KeyboardInterrupt:
        raise SystemExit(130) from None


async def reindex(settings: TradingSettings) -> None:
    db = Database(settings.database_url)
    listings = ListingIndex(AsyncElasticsearch(settings.elasticsearch_url), settings.elasticsearch_index)
    columns = (TextColumn("indexing listings"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
    try:
        with Progress(*columns) as progress:
            task = progress.add_task("listings", total=None)
            index, before = await build(
                db, listings, lambda done, total: progress.update(task, completed=done, total=total)
            )
        print(f"{listings.alias} -> {index}")
        if before:
            await asyncio.sleep(DROP_AFTER_SECONDS)
            await listings.drop(before)
            print(f"dropped {', '.join(before)}")
    finally:
        await listings.client.close()
        await db.dispose()
