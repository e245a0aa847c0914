"""The interactive API docs, /docs (Swagger UI) and /redoc (ReDoc), with their scripts, styles
and icon served by the backend itself from the fastapi-offline package. FastAPI's own pages load
them from a CDN, which the browser would run unchecked with the page's rights; these work offline
and load nothing from elsewhere."""

from pathlib import Path

import fastapi_offline
from fastapi import FastAPI
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse
from starlette.staticfiles import StaticFiles

ASSETS_DIR = Path(fastapi_offline.__file__).parent / "static"
ASSETS_URL = "/docs/assets"
FAVICON_URL = f"{ASSETS_URL}/favicon.png"
# Swagger UI's default validator badge is an image from validator.swagger.io.
SWAGGER_UI_PARAMETERS = {"validatorUrl": None}


def install_api_docs(app: FastAPI, openapi_url: str) -> None:
    """Serve /docs, /redoc and their assets (FastAPI's own docs_url and redoc_url stay off)."""
    app.mount(ASSETS_URL, StaticFiles(directory=ASSETS_DIR), name="docs-assets")

    @app.get("/docs", include_in_schema=False)
    async def swagger_ui() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=openapi_url,
            title=f"{app.title} - Swagger UI",
            swagger_js_url=f"{ASSETS_URL}/swagger-ui-bundle.js",
            swagger_css_url=f"{ASSETS_URL}/swagger-ui.css",
            swagger_favicon_url=FAVICON_URL,
            swagger_ui_parameters=SWAGGER_UI_PARAMETERS,
        )

    @app.get("/redoc", include_in_schema=False)
    async def redoc() -> HTMLResponse:
        return get_redoc_html(
            openapi_url=openapi_url,
            title=f"{app.title} - ReDoc",
            redoc_js_url=f"{ASSETS_URL}/redoc.standalone.js",
            redoc_favicon_url=FAVICON_URL,
            with_google_fonts=False,
        )
