"""The one rule for BETTER_AUTH_SECRET, which signs the backend's tokens and the frontend's
session cookies: long and random, except in the explicit local mode that `make run` uses.

A secret is refused when it is a placeholder, shorter than 32 characters, has fewer than 10
different characters (one character or a short word repeated), or, outside local mode, is the
local-mode secret, which is public. `openssl rand -hex 32` gives 64 characters from 16: fewer
than 10 different ones among them happens about once in 10^12 draws."""

# Values people copy from examples; running a real deployment with one of them is a mistake.
PLACEHOLDER_SECRETS = frozenset(
    {"", "changeme", "change-me", "secret", "test", "your-secret-here", "replace-me"}
)
MIN_SECRET_LENGTH = 32
MIN_DISTINCT_CHARACTERS = 10
# Used only in LOCAL_MODE, so a laptop needs no configuration (and sessions survive restarts).
LOCAL_MODE_SECRET = "local-mode-secret-not-for-production-use-0000"
HOW_TO_MAKE_ONE = "for example: openssl rand -hex 32"


class SettingsError(ValueError):
    """A setting is missing or unsafe; the message says what to set."""


def checked_secret(secret: str, *, local_mode: bool) -> str:
    """The secret to use, or SettingsError with a message that says what to set."""
    secret = secret.strip()
    if local_mode and secret.lower() in PLACEHOLDER_SECRETS:
        return LOCAL_MODE_SECRET
    if (
        secret.lower() in PLACEHOLDER_SECRETS
        or len(secret) < MIN_SECRET_LENGTH
        or len(set(secret)) < MIN_DISTINCT_CHARACTERS
    ):
        raise SettingsError(
            "BETTER_AUTH_SECRET must be set to a random value of at least "
            f"{MIN_SECRET_LENGTH} characters, {MIN_DISTINCT_CHARACTERS} or more of them "
            f"different ({HOW_TO_MAKE_ONE}); set LOCAL_MODE=true only for a local, "
            "single-user run"
        )
    if secret == LOCAL_MODE_SECRET and not local_mode:
        raise SettingsError(
            "BETTER_AUTH_SECRET must be set to a random value of its own "
            f"({HOW_TO_MAKE_ONE}): the local-mode secret is public, so anyone could sign "
            "tokens and session cookies with it"
        )
    return secret
