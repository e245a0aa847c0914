"""What the backend sends a browser stays on the backend's own origin: a trailing-slash redirect
names no host, and the API docs load only this server's assets."""

import re

import httpx

from backend_testkit import make_settings
from todo_backend.main import create_app


async def test_a_trailing_slash_redirects_without_naming_a_host(client: httpx.AsyncClient) -> None:
    headers = {"Host": "evil.example"}
    health = await client.get("/api/health/?verbose=1", headers=headers)
    assert health.status_code == 307
    assert health.headers["location"] == "/api/health?verbose=1"
    mcp = await client.post("/mcp", headers=headers)
    assert mcp.status_code == 307
    assert mcp.headers["location"] == "/mcp/"
    unknown = await client.get("/api/nothing-here/", headers=headers)
    assert unknown.status_code == 404
    assert unknown.json() == {"detail": "Not Found"}


async def test_the_api_docs_load_only_this_servers_assets(client: httpx.AsyncClient) -> None:
    page = await client.get("/docs")
    assert page.status_code == 200
    assert "http://" not in page.text and "https://" not in page.text
    assets = re.findall(r'<(?:script|link)\b[^>]*\b(?:src|href)="([^"]*)"', page.text)
    assert len(assets) >= 2, page.text  # the viewer's script, and its stylesheet or favicon
    for url in assets:
        assert url.startswith("/") and not url.startswith("//"), url
        asset = await client.get(url)
        assert asset.status_code == 200, url
        assert asset.content, url
    assert (await client.get("/redoc")).status_code == 404  # ReDoc always loads a CDN's logo


async def test_turning_the_docs_off_removes_their_assets_too(database_url: str) -> None:
    app = create_app(make_settings(database_url, docs_enabled=False))
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client,
    ):
        assert (await client.get("/docs/assets/swagger-ui-bundle.js")).status_code == 404
