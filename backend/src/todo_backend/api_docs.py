"""The interactive API docs at /docs (Swagger UI), with its script, stylesheet and icon served
by the backend itself from the fastapi-offline package. FastAPI's own page loads them from a CDN,
which the browser would run unchecked with the page's rights; this one works offline and loads
nothing from elsewhere. ReDoc (/redoc) stays off: its bundle always fetches its logo from
cdn.redoc.ly."""

from pathlib import Path

import fastapi_offline
from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from starlette.staticfiles import StaticFiles

ASSETS_DIR = Path(fastapi_offline.__file__).parent / "static"
ASSETS_URL = "/docs/assets"
# Swagger UI's default validator badge is an image from validator.swagger.io.
SWAGGER_UI_PARAMETERS = {"validatorUrl": None}


def install_api_docs(app: FastAPI, openapi_url: str) -> None:
    """Serve /docs and its assets (FastAPI's own docs_url stays off)."""
    app.mount(ASSETS_URL, StaticFiles(directory=ASSETS_DIR), name="docs-assets")

    @app.get("/docs", include_in_schema=False)
    async def swagger_ui() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=openapi_url,
            title=f"{app.title} - Swagger UI",
            swagger_js_url=f"{ASSETS_URL}/swagger-ui-bundle.js",
            swagger_css_url=f"{ASSETS_URL}/swagger-ui.css",
            swagger_favicon_url=f"{ASSETS_URL}/favicon.png",
            swagger_ui_parameters=SWAGGER_UI_PARAMETERS,
        )
