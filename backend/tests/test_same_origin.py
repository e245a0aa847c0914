"""What the backend sends a browser stays on the backend's own origin: a trailing-slash redirect
names no host, and the API docs load only this server's assets."""

import httpx


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
