"""What the routes share, created once per app: settings, the backend client, cookies, templates."""

from dataclasses import dataclass
from pathlib import Path

import httpx
from fastapi.templating import Jinja2Templates
from starlette.requests import Request

from todo_frontend.backend import Backend
from todo_frontend.security import Csrf, Sessions
from todo_frontend.settings import Settings

PACKAGE_DIR = Path(__file__).parent


@dataclass
class Services:
    settings: Settings
    sessions: Sessions
    csrf: Csrf
    templates: Jinja2Templates
    # Set while the app runs (the lifespan owns the connection pool).
    http: httpx.AsyncClient | None = None

    @classmethod
    def create(cls, settings: Settings) -> "Services":
        secret = settings.auth_secret
        return cls(
            settings=settings,
            sessions=Sessions(secret, settings.session_max_age_seconds, settings.cookie_secure),
            csrf=Csrf(secret, settings.session_max_age_seconds, settings.cookie_secure),
            templates=Jinja2Templates(directory=PACKAGE_DIR / "templates"),
        )

    @property
    def client(self) -> httpx.AsyncClient:
        if self.http is None:
            raise RuntimeError("the backend client exists only while the app is running")
        return self.http

    @property
    def backend(self) -> Backend:
        return Backend(self.client, self.settings.proxy_secret)


def services_of(request: Request) -> Services:
    services: Services = request.app.state.services
    return services
