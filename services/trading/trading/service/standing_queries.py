"""What buy orders and saved searches share: their terms read into typed predicates, the filters parsed
against the category's definitions (catalog's) as search parses them."""

from servicekit.errors import FieldViolation, InvalidArgument
from servicekit.filters import parse_filters
from trading.clients import Catalog
from trading.domain import standing_queries as domain
from trading.domain.standing_queries import Predicates, QueryTerms


async def read_predicates(
    catalog: Catalog, terms: QueryTerms, field: str, violations: list[FieldViolation]
) -> Predicates:
    """The terms' predicates; every problem found, named under `field`, is added to violations."""
    violations += domain.check_terms(terms, field)
    filters = []
    if terms.category_id is not None:
        if terms.game_id is not None:
            violations.append(FieldViolation(f"{field}.game_id", "give category_id or game_id, not both"))
        attributes = await catalog.category_attributes(terms.category_id)
        if attributes is None:
            violations.append(FieldViolation(f"{field}.category_id", "is not a catalog category"))
        elif terms.attributes:
            try:
                filters = parse_filters(attributes, terms.attributes, f"{field}.attributes")
            except InvalidArgument as exc:
                violations += exc.violations
            violations += domain.impossible_ranges(filters, field)
    elif terms.game_id is not None and not await catalog.game_exists(terms.game_id):
        violations.append(FieldViolation(f"{field}.game_id", "is not a catalog game"))
    return Predicates(
        category_id=terms.category_id,
        game_id=None if terms.category_id else terms.game_id,
        words=" ".join(terms.q.split()),
        filters=tuple(filters),
        conditions=terms.conditions,
        near=terms.near,
        radius_km=terms.radius_km if terms.near else None,
        max_price=terms.max_price,
    )
