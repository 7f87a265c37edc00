"""/docs: Swagger UI, served from the swagger-ui-bundle package (no CDN), reading /openapi.json."""

from pathlib import Path

from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles
from swagger_ui_bundle import swagger_ui_path

STATIC_PATH = "/docs/static"

# The bundled Swagger UI (4.15) renders OpenAPI 3.0 only, which is what /openapi.json is.
PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>Marketplace API</title>
  <link rel="stylesheet" href="{static}/swagger-ui.css">
  <link rel="icon" type="image/png" href="{static}/favicon-32x32.png">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="{static}/swagger-ui-bundle.js"></script>
  <script>
    window.ui = SwaggerUIBundle({{
      url: "{openapi_url}",
      dom_id: "#swagger-ui",
      deepLinking: true,
      persistAuthorization: true,
    }});
  </script>
</body>
</html>
"""


def docs_routes(openapi_url: str = "/openapi.json") -> list[BaseRoute]:
    page = PAGE.format(static=STATIC_PATH, openapi_url=openapi_url)

    async def docs_page(request: Request) -> HTMLResponse:
        return HTMLResponse(page)

    return [
        Route("/docs", docs_page, methods=["GET"]),
        Mount(STATIC_PATH, app=StaticFiles(directory=Path(str(swagger_ui_path))), name="docs-static"),
    ]
