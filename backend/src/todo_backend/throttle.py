"""The backend's limits on abuse, built once per app from the settings.

- sign-up per client address per hour, sign-in per client address per minute, and both
  together per minute for the whole process: the password hash is the costliest thing a
  stranger can make us do;
- failed sign-ins per (email, client address), a short lockout: slows password guessing
  without letting anyone lock an account's owner out from another address;
- failed sign-ins per email from every address, with a higher ceiling and then growing
  delays (`ratelimit`'s backoff): guessing one password from many addresses stays slow;
- chat turns per user per minute and per day: each turn may cost model calls;
- MCP requests per API token per minute: each token its own allowance, so one runaway client
  slows only itself.

On PostgreSQL all are counted in one table that every replica shares; on SQLite (one process)
in memory (see `ratelimit`). `RATE_LIMITS=off` lifts every request-rate limit; the failed
sign-in throttles stay, since they guard passwords rather than capacity.
"""

from dataclasses import dataclass

from todo_backend.ratelimit import Counter, SharedCounters, WindowCounter
from todo_backend.settings import Settings

TOO_MANY_TURNS = "You are sending messages too quickly; please wait a minute and try again"
DAILY_LIMIT_REACHED = "You have reached today's limit of chat messages; please try again tomorrow"
TOO_MANY_MCP_REQUESTS = "Too many requests with this API token; please wait a minute"
MINUTE = 60.0
HOUR = 3600.0
DAY = 86400.0


@dataclass(frozen=True)
class Limits:
    sign_up_per_address: Counter
    sign_in_per_address: Counter
    auth_overall: Counter
    sign_in_failures: Counter
    sign_in_failures_per_account: Counter
    chat_turns_per_minute: Counter
    chat_turns_per_day: Counter
    mcp_requests_per_api_token: Counter

    @classmethod
    def from_settings(cls, settings: Settings, shared: SharedCounters | None = None) -> "Limits":
        """The limits counted in `shared` (PostgreSQL), or in this process's memory."""

        def counter(name: str, limit: int, window: float, *, backoff: bool = False) -> Counter:
            if shared is not None:
                return shared.counter(name, limit, window, backoff=backoff)
            return WindowCounter(limit, window, backoff, max_keys=settings.rate_limit_max_keys)

        def rate(name: str, limit: int, window: float) -> Counter:
            return counter(name, limit if settings.rate_limits_on else 0, window)

        failure_window = settings.sign_in_failure_window_seconds
        return cls(
            sign_up_per_address=rate("sign-up", settings.sign_up_per_address_per_hour, HOUR),
            sign_in_per_address=rate("sign-in", settings.sign_in_per_address_per_minute, MINUTE),
            auth_overall=rate("auth", settings.auth_requests_per_minute, MINUTE),
            sign_in_failures=counter("failures", settings.sign_in_max_failures, failure_window),
            sign_in_failures_per_account=counter(
                "account-failures",
                settings.sign_in_max_failures_per_account,
                failure_window,
                backoff=True,
            ),
            chat_turns_per_minute=rate("turns-minute", settings.chat_turns_per_minute, MINUTE),
            chat_turns_per_day=rate("turns-day", settings.chat_turns_per_day, DAY),
            mcp_requests_per_api_token=rate(
                "mcp", settings.mcp_requests_per_api_token_per_minute, MINUTE
            ),
        )

    async def count_chat_turn(self, user_id: str) -> None:
        """Every turn may cost model calls, whichever route sends it: count it per user, per
        minute and per day. The minute comes first, so a refused burst does not use up the
        day's allowance."""
        await self.chat_turns_per_minute.hit(user_id, what=TOO_MANY_TURNS)
        await self.chat_turns_per_day.hit(user_id, what=DAILY_LIMIT_REACHED)

    async def refund_chat_turn(self, user_id: str) -> None:
        """Take back a counted turn that was refused as not the user's (a revoked token), so
        that whoever holds an old token cannot use up the user's allowance."""
        await self.chat_turns_per_minute.refund(user_id)
        await self.chat_turns_per_day.refund(user_id)
