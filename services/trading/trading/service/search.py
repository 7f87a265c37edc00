"""Use cases of listing search: one, a search through whichever backend trading runs with."""

from uuid import UUID

from servicekit.errors import FieldViolation, InvalidArgument
from servicekit.filters import parse_filters
from trading.clients import Catalog
from trading.search import SearchAttribute, SearchBackend, SearchQuery, SearchResult, check_query


async def search_listings(
    backend: SearchBackend,
    catalog: Catalog,
    query: SearchQuery,
    violations: list[FieldViolation],
    reader_id: UUID | None,
) -> SearchResult:
    """Active listings matching the query, with facets over all of them. The category's attributes are
    asked of catalog once for this search (filters and attribute facets read them); `violations` are those
    found reading the request, reported with the rest at once."""
    violations = violations + check_query(query)
    attributes: list[SearchAttribute] = []
    if query.category_id is not None:
        found = await catalog.category_attributes(query.category_id)
        if found is None:
            violations.append(FieldViolation("category_id", "is not a catalog category"))
        attributes = found or []
    filters = []
    if query.attributes and query.category_id is not None:
        try:
            filters = parse_filters(attributes, query.attributes)
        except InvalidArgument as exc:
            violations += exc.violations
    if violations:
        raise InvalidArgument(violations)
    facetable = [attribute for attribute in attributes if attribute.filterable]
    return await backend.search(query, filters, facetable, reader_id)
