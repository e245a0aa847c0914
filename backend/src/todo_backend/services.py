"""What the routes share, created once per app: settings, limits, metrics, the database and the
agent. One typed object instead of attributes set on `app.state` by name."""

from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker
from starlette.applications import Starlette

from todo_backend.agent.base import ChatAgent
from todo_backend.data.engine import Session
from todo_backend.middleware import Metrics
from todo_backend.security import PasswordHashing
from todo_backend.settings import Settings
from todo_backend.throttle import Limits

if TYPE_CHECKING:
    from todo_backend.chatkit.server import TodoChatKitServer


class NotRunningError(RuntimeError):
    def __init__(self, what: str) -> None:
        super().__init__(f"the {what} exists only while the app is running")


@dataclass
class Running:
    """What the lifespan makes when the app starts and closes when it stops."""

    engine: AsyncEngine
    session_factory: async_sessionmaker[Session]
    agent: ChatAgent


@dataclass
class Services:
    settings: Settings
    metrics: Metrics
    limits: Limits
    password_hashing: PasswordHashing
    running: Running | None = None
    # Made on the first ChatKit request: its SDK costs memory and start-up time otherwise.
    chatkit_server: "TodoChatKitServer | None" = None

    @classmethod
    def create(cls, settings: Settings, metrics: Metrics) -> "Services":
        return cls(
            settings=settings,
            metrics=metrics,
            limits=Limits.from_settings(settings),
            password_hashing=PasswordHashing(settings.password_hash_concurrency),
        )

    def _running(self) -> Running:
        if self.running is None:
            raise NotRunningError("database")
        return self.running

    @property
    def engine(self) -> AsyncEngine:
        return self._running().engine

    @property
    def session_factory(self) -> async_sessionmaker[Session]:
        return self._running().session_factory

    @property
    def agent(self) -> ChatAgent:
        return self._running().agent

    @agent.setter
    def agent(self, agent: ChatAgent) -> None:
        """Tests put an agent of their own in the running app's place."""
        self._running().agent = agent


def services_of(app: Starlette) -> Services:
    services: Services = app.state.services
    return services
