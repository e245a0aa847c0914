"""A path that differs from a route's only by its trailing slash (`/sign-in/`) is redirected to
the route with a relative Location. Starlette's own `redirect_slashes` writes
`http://<Host header>/sign-in`, so whoever sets the Host header picks where the browser goes."""

from urllib.parse import quote

from starlette.applications import Starlette
from starlette.responses import RedirectResponse
from starlette.routing import Match, Router
from starlette.types import Receive, Scope, Send


class SlashRedirect:
    """The router's answer when no route matches: a redirect to the path with its trailing slash
    toggled when a route takes that path, otherwise the router's usual 404."""

    def __init__(self, router: Router) -> None:
        self._router = router
        self._not_found = router.not_found

    def _takes(self, scope: Scope) -> bool:
        return any(route.matches(scope)[0] is not Match.NONE for route in self._router.routes)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path: str = scope["path"]
        if scope["type"] == "http" and path != "/":
            toggled = path.rstrip("/") if path.endswith("/") else path + "/"
            if self._takes({**scope, "path": toggled}):
                # A route took the path, so it starts with one "/" and the route's first
                # segment: never "//", which a browser would read as another host.
                location = quote(toggled)
                if scope["query_string"]:
                    location += "?" + scope["query_string"].decode("latin-1")
                await RedirectResponse(location)(scope, receive, send)
                return
        await self._not_found(scope, receive, send)


def redirect_slashes_relatively(app: Starlette) -> None:
    """Replace the app's trailing-slash redirects by ones with a relative Location."""
    app.router.redirect_slashes = False
    app.router.default = SlashRedirect(app.router)
