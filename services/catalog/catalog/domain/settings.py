"""What the catalog's admins tune while it runs (GET|PATCH /v1/catalog/settings)."""

from dataclasses import dataclass

from servicekit.runtime_settings import RuntimeSettings, setting


@dataclass(frozen=True)
class CatalogRuntimeSettings(RuntimeSettings):
    max_attributes_per_category: int = setting(
        50,
        "The most attributes a category may define; creating one more is refused (CATEGORY_ATTRIBUTE_LIMIT). "
        "Lowering it leaves categories that have more as they are.",
        minimum=1,
        maximum=500,
    )
