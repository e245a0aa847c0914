"""The backend's limits on abuse, built once per app from the settings.

- sign-up per client address per hour, sign-in per client address per minute, and both
  together per minute for the whole process: the password hash is the costliest thing a
  stranger can make us do;
- failed sign-ins per (email, client address): slows password guessing without letting
  anyone lock an account's owner out from another address;
- chat turns per user per minute and per day: each turn may cost model calls;
- MCP requests per API token per minute: each token its own allowance, so one runaway client
  slows only itself.

All are per process (see `ratelimit`). `RATE_LIMITS=off` lifts every request-rate limit; the
failed sign-in throttle stays, since it guards passwords rather than capacity.
"""

from dataclasses import dataclass

from todo_backend.ratelimit import WindowCounter
from todo_backend.settings import Settings

TOO_MANY_TURNS = "You are sending messages too quickly; please wait a minute and try again"
DAILY_LIMIT_REACHED = "You have reached today's limit of chat messages; please try again tomorrow"
TOO_MANY_MCP_REQUESTS = "Too many requests with this API token; please wait a minute"
MINUTE = 60.0
HOUR = 3600.0
DAY = 86400.0


@dataclass(frozen=True)
class Limits:
    sign_up_per_address: WindowCounter
    sign_in_per_address: WindowCounter
    auth_overall: WindowCounter
    sign_in_failures: WindowCounter
    chat_turns_per_minute: WindowCounter
    chat_turns_per_day: WindowCounter
    mcp_requests_per_api_token: WindowCounter

    @classmethod
    def from_settings(cls, settings: Settings) -> "Limits":
        def rate(limit: int, window: float) -> WindowCounter:
            effective = limit if settings.rate_limits_on else 0
            return WindowCounter(effective, window, max_keys=settings.rate_limit_max_keys)

        return cls(
            sign_up_per_address=rate(settings.sign_up_per_address_per_hour, HOUR),
            sign_in_per_address=rate(settings.sign_in_per_address_per_minute, MINUTE),
            auth_overall=rate(settings.auth_requests_per_minute, MINUTE),
            sign_in_failures=WindowCounter(
                settings.sign_in_max_failures,
                settings.sign_in_failure_window_seconds,
                max_keys=settings.rate_limit_max_keys,
            ),
            chat_turns_per_minute=rate(settings.chat_turns_per_minute, MINUTE),
            chat_turns_per_day=rate(settings.chat_turns_per_day, DAY),
            mcp_requests_per_api_token=rate(settings.mcp_requests_per_api_token_per_minute, MINUTE),
        )

    def count_chat_turn(self, user_id: str) -> None:
        """Every turn may cost model calls, whichever route sends it: count it per user, per
        minute and per day. The minute comes first, so a refused burst does not use up the
        day's allowance."""
        self.chat_turns_per_minute.hit(user_id, what=TOO_MANY_TURNS)
        self.chat_turns_per_day.hit(user_id, what=DAILY_LIMIT_REACHED)

    def refund_chat_turn(self, user_id: str) -> None:
        """Take back a counted turn that was refused as not the user's (a revoked token), so
        that whoever holds an old token cannot use up the user's allowance."""
        self.chat_turns_per_minute.refund(user_id)
        self.chat_turns_per_day.refund(user_id)
