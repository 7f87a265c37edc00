"""The catalog's gRPC servicer: proto <-> domain, nothing else."""

from grpc.aio import ServicerContext

from catalog.domain.attributes import Attribute, AttributeType
from catalog.domain.categories import CategoryFields
from catalog.domain.games import GameFields
from catalog.domain.items import NewItem
from catalog.domain.settings import CatalogRuntimeSettings
from catalog.domain.templates import TemplateFields
from catalog.models import Category, Game, Template
from catalog.repository.items import ItemView
from catalog.service import attributes, categories, games, items, templates
from marketplace.catalog.v1 import catalog_service_pb2 as pb
from marketplace.catalog.v1 import catalog_service_pb2_grpc as pb_grpc
from marketplace.catalog.v1 import resources_pb2
from servicekit import enums
from servicekit.admin import AdminMethods
from servicekit.auth import require_caller
from servicekit.convert import timestamp
from servicekit.db import Database
from servicekit.errors import FieldViolation, InvalidArgument, violations_to_proto
from servicekit.idempotency import Once
from servicekit.ids import parse_id, parse_optional_id
from servicekit.pagination import page_request
from servicekit.runtime_settings import SettingsStore
from servicekit.values import Scalar, values_from_proto, values_to_proto


def mask_paths(request) -> list[str]:
    return list(request.update_mask.paths)


# Resources -------------------------------------------------------------------------------


def game_to_proto(game: Game) -> resources_pb2.Game:
    return resources_pb2.Game(
        id=str(game.id),
        name=game.name,
        description=game.description,
        logo_url=game.logo_url,
        create_time=timestamp(game.created_at),
        update_time=timestamp(game.updated_at),
    )


def game_from_proto(game: resources_pb2.Game) -> GameFields:
    return GameFields(name=game.name, description=game.description, logo_url=game.logo_url)


def category_to_proto(category: Category) -> resources_pb2.Category:
    return resources_pb2.Category(
        id=str(category.id),
        game_id=str(category.game_id),
        parent_id=str(category.parent_id) if category.parent_id else "",
        name=category.name,
        description=category.description,
        create_time=timestamp(category.created_at),
        update_time=timestamp(category.updated_at),
    )


def category_from_proto(category: resources_pb2.Category) -> CategoryFields:
    return CategoryFields(
        name=category.name,
        description=category.description,
        parent_id=parse_optional_id("category.parent_id", category.parent_id),
    )


def attribute_to_proto(attribute: Attribute) -> resources_pb2.Attribute:
    return resources_pb2.Attribute(
        id=str(attribute.id),
        category_id=str(attribute.category_id),
        name=attribute.name,
        key=attribute.key,
        type=enums.to_proto(resources_pb2.AttributeType, attribute.type),
        required=attribute.required,
        allowed_values=attribute.allowed_values,
        min=attribute.min_value,
        max=attribute.max_value,
        max_length=attribute.max_length,
        unit=attribute.unit,
        filterable=attribute.filterable,
        display_order=attribute.display_order,
        create_time=timestamp(attribute.created_at),
        update_time=timestamp(attribute.updated_at),
    )


def attribute_from_proto(attribute: resources_pb2.Attribute) -> Attribute:
    violations: list[FieldViolation] = []
    kind = enums.from_proto(resources_pb2.AttributeType, AttributeType, attribute.type, "attribute.type", violations)
    if violations:
        raise InvalidArgument(violations)
    return Attribute(
        name=attribute.name,
        key=attribute.key,
        type=kind,
        required=attribute.required,
        allowed_values=tuple(attribute.allowed_values),
        min_value=attribute.min if attribute.HasField("min") else None,
        max_value=attribute.max if attribute.HasField("max") else None,
        max_length=attribute.max_length if attribute.HasField("max_length") else None,
        unit=attribute.unit,
        filterable=attribute.filterable,
        display_order=attribute.display_order,
    )


def template_to_proto(template: Template, values: dict[str, Scalar]) -> resources_pb2.Template:
    return resources_pb2.Template(
        id=str(template.id),
        category_id=str(template.category_id),
        name=template.name,
        description=template.description,
        image_url=template.image_url,
        attributes=values_to_proto(values),
        create_time=timestamp(template.created_at),
        update_time=timestamp(template.updated_at),
    )


def template_from_proto(template: resources_pb2.Template) -> TemplateFields:
    return TemplateFields(
        name=template.name,
        description=template.description,
        image_url=template.image_url,
        attributes=values_from_proto(template.attributes),
    )


def item_to_proto(item: ItemView) -> resources_pb2.Item:
    return resources_pb2.Item(
        id=str(item.id),
        owner_id=str(item.owner_id),
        template_id=str(item.template_id) if item.template_id else "",
        category_id=str(item.category_id),
        game_id=str(item.game_id),
        name=item.name,
        description=item.description,
        image_url=item.image_url,
        attributes=values_to_proto(item.attributes),
        create_time=timestamp(item.created_at),
        update_time=timestamp(item.updated_at),
    )


def item_from_proto(item: resources_pb2.Item) -> NewItem:
    return NewItem(
        template_id=parse_optional_id("item.template_id", item.template_id),
        category_id=parse_optional_id("item.category_id", item.category_id),
        name=item.name,
        description=item.description,
        image_url=item.image_url,
        attributes=values_from_proto(item.attributes),
    )


class CatalogApi(AdminMethods, pb_grpc.CatalogServiceServicer):
    def __init__(self, db: Database, runtime_settings: SettingsStore[CatalogRuntimeSettings]) -> None:
        super().__init__(db, runtime_settings)

    # Games

    async def CreateGame(self, request: pb.CreateGameRequest, context: ServicerContext) -> resources_pb2.Game:
        fields = game_from_proto(request.game)
        game = await games.create_game(self._db, require_caller(), fields, Once.of(request, game_to_proto))
        return game_to_proto(game)

    async def GetGame(self, request: pb.GetGameRequest, context: ServicerContext) -> resources_pb2.Game:
        return game_to_proto(await games.get_game(self._db, parse_id("game_id", request.game_id)))

    async def ListGames(self, request: pb.ListGamesRequest, context: ServicerContext) -> pb.ListGamesResponse:
        found, next_token = await games.list_games(self._db, page_request(request.page_size, request.page_token))
        return pb.ListGamesResponse(games=[game_to_proto(game) for game in found], next_page_token=next_token)

    async def UpdateGame(self, request: pb.UpdateGameRequest, context: ServicerContext) -> resources_pb2.Game:
        game_id = parse_id("game_id", request.game_id)
        fields = game_from_proto(request.game)
        game = await games.update_game(self._db, require_caller(), game_id, fields, mask_paths(request))
        return game_to_proto(game)

    async def DeleteGame(self, request: pb.DeleteGameRequest, context: ServicerContext) -> resources_pb2.Game:
        game = await games.delete_game(self._db, require_caller(), parse_id("game_id", request.game_id))
        return game_to_proto(game)

    # Categories

    async def ListCategories(
        self, request: pb.ListCategoriesRequest, context: ServicerContext
    ) -> pb.ListCategoriesResponse:
        game_id = parse_id("game_id", request.game_id)
        page = page_request(request.page_size, request.page_token)
        found, next_token = await categories.list_categories(self._db, game_id, page)
        return pb.ListCategoriesResponse(
            categories=[category_to_proto(category) for category in found], next_page_token=next_token
        )

    async def CreateCategory(
        self, request: pb.CreateCategoryRequest, context: ServicerContext
    ) -> resources_pb2.Category:
        game_id = parse_id("game_id", request.game_id)
        fields = category_from_proto(request.category)
        once = Once.of(request, category_to_proto)
        category = await categories.create_category(self._db, require_caller(), game_id, fields, once)
        return category_to_proto(category)

    async def GetCategory(self, request: pb.GetCategoryRequest, context: ServicerContext) -> resources_pb2.Category:
        category = await categories.get_category(self._db, parse_id("category_id", request.category_id))
        return category_to_proto(category)

    async def UpdateCategory(
        self, request: pb.UpdateCategoryRequest, context: ServicerContext
    ) -> resources_pb2.Category:
        category_id = parse_id("category_id", request.category_id)
        fields = category_from_proto(request.category)
        category = await categories.update_category(
            self._db, require_caller(), category_id, fields, mask_paths(request)
        )
        return category_to_proto(category)

    async def DeleteCategory(
        self, request: pb.DeleteCategoryRequest, context: ServicerContext
    ) -> resources_pb2.Category:
        category_id = parse_id("category_id", request.category_id)
        return category_to_proto(await categories.delete_category(self._db, require_caller(), category_id))

    # Attributes

    async def ListAttributes(
        self, request: pb.ListAttributesRequest, context: ServicerContext
    ) -> pb.ListAttributesResponse:
        category_id = parse_id("category_id", request.category_id)
        page = page_request(request.page_size, request.page_token)
        found, next_token = await attributes.list_attributes(self._db, category_id, page)
        return pb.ListAttributesResponse(
            attributes=[attribute_to_proto(attribute) for attribute in found], next_page_token=next_token
        )

    async def ValidateAttributes(
        self, request: pb.ValidateAttributesRequest, context: ServicerContext
    ) -> pb.ValidateAttributesResponse:
        category, checked, violations = await attributes.check_values(
            self._db, parse_id("category_id", request.category_id), values_from_proto(request.attributes)
        )
        return pb.ValidateAttributesResponse(
            category=category_to_proto(category),
            attributes=values_to_proto(checked),
            violations=violations_to_proto(violations),
        )

    async def CreateAttribute(
        self, request: pb.CreateAttributeRequest, context: ServicerContext
    ) -> resources_pb2.Attribute:
        category_id = parse_id("category_id", request.category_id)
        fields = attribute_from_proto(request.attribute)
        once = Once.of(request, attribute_to_proto)
        limit = self._runtime_settings.values.max_attributes_per_category
        attribute = await attributes.create_attribute(
            self._db, require_caller(), category_id, fields, once, max_attributes=limit
        )
        return attribute_to_proto(attribute)

    async def GetAttribute(self, request: pb.GetAttributeRequest, context: ServicerContext) -> resources_pb2.Attribute:
        attribute = await attributes.get_attribute(self._db, parse_id("attribute_id", request.attribute_id))
        return attribute_to_proto(attribute)

    async def UpdateAttribute(
        self, request: pb.UpdateAttributeRequest, context: ServicerContext
    ) -> resources_pb2.Attribute:
        attribute_id = parse_id("attribute_id", request.attribute_id)
        fields = attribute_from_proto(request.attribute)
        attribute = await attributes.update_attribute(
            self._db, require_caller(), attribute_id, fields, mask_paths(request)
        )
        return attribute_to_proto(attribute)

    async def DeleteAttribute(
        self, request: pb.DeleteAttributeRequest, context: ServicerContext
    ) -> resources_pb2.Attribute:
        attribute_id = parse_id("attribute_id", request.attribute_id)
        return attribute_to_proto(await attributes.delete_attribute(self._db, require_caller(), attribute_id))

    # Templates

    async def ListTemplates(
        self, request: pb.ListTemplatesRequest, context: ServicerContext
    ) -> pb.ListTemplatesResponse:
        category_id = parse_id("category_id", request.category_id)
        page = page_request(request.page_size, request.page_token)
        found, next_token = await templates.list_templates(self._db, category_id, page)
        return pb.ListTemplatesResponse(
            templates=[template_to_proto(template, values) for template, values in found],
            next_page_token=next_token,
        )

    async def CreateTemplate(
        self, request: pb.CreateTemplateRequest, context: ServicerContext
    ) -> resources_pb2.Template:
        category_id = parse_id("category_id", request.category_id)
        fields = template_from_proto(request.template)
        once = Once.of(request, lambda created: template_to_proto(*created))
        template, values = await templates.create_template(self._db, require_caller(), category_id, fields, once)
        return template_to_proto(template, values)

    async def GetTemplate(self, request: pb.GetTemplateRequest, context: ServicerContext) -> resources_pb2.Template:
        template, values = await templates.get_template(self._db, parse_id("template_id", request.template_id))
        return template_to_proto(template, values)

    async def UpdateTemplate(
        self, request: pb.UpdateTemplateRequest, context: ServicerContext
    ) -> resources_pb2.Template:
        template_id = parse_id("template_id", request.template_id)
        fields = template_from_proto(request.template)
        template, values = await templates.update_template(
            self._db, require_caller(), template_id, fields, mask_paths(request)
        )
        return template_to_proto(template, values)

    async def DeleteTemplate(
        self, request: pb.DeleteTemplateRequest, context: ServicerContext
    ) -> resources_pb2.Template:
        template_id = parse_id("template_id", request.template_id)
        template, values = await templates.delete_template(self._db, require_caller(), template_id)
        return template_to_proto(template, values)

    # Items

    async def CreateItem(self, request: pb.CreateItemRequest, context: ServicerContext) -> resources_pb2.Item:
        new = item_from_proto(request.item)
        return item_to_proto(await items.create_item(self._db, require_caller(), new, Once.of(request, item_to_proto)))

    async def GetItem(self, request: pb.GetItemRequest, context: ServicerContext) -> resources_pb2.Item:
        return item_to_proto(await items.get_item(self._db, parse_id("item_id", request.item_id)))

    async def ListMyItems(self, request: pb.ListMyItemsRequest, context: ServicerContext) -> pb.ListMyItemsResponse:
        page = page_request(request.page_size, request.page_token)
        found, next_token = await items.list_my_items(self._db, require_caller(), page)
        return pb.ListMyItemsResponse(items=[item_to_proto(item) for item in found], next_page_token=next_token)

    async def ListItems(self, request: pb.ListItemsRequest, context: ServicerContext) -> pb.ListItemsResponse:
        found, next_token = await items.list_items(
            self._db,
            parse_id("category_id", request.category_id),
            list(request.attributes),
            page_request(request.page_size, request.page_token),
            template_id=parse_optional_id("template_id", request.template_id),
            owner_id=parse_optional_id("owner_id", request.owner_id),
        )
        return pb.ListItemsResponse(items=[item_to_proto(item) for item in found], next_page_token=next_token)

    async def TransferItem(self, request: pb.TransferItemRequest, context: ServicerContext) -> resources_pb2.Item:
        item = await items.transfer_item(
            self._db,
            Once.of(request, item_to_proto),
            parse_id("item_id", request.item_id),
            parse_id("from_owner_id", request.from_owner_id),
            parse_id("to_owner_id", request.to_owner_id),
        )
        return item_to_proto(item)
