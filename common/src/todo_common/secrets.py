"""The one rule for BETTER_AUTH_SECRET, which signs the backend's tokens and the frontend's
session cookies: long and random, except in the explicit local mode that `make run` uses."""

# Values people copy from examples; running a real deployment with one of them is a mistake.
PLACEHOLDER_SECRETS = frozenset(
    {"", "changeme", "change-me", "secret", "test", "your-secret-here", "replace-me"}
)
MIN_SECRET_LENGTH = 32
# Used only in LOCAL_MODE, so a laptop needs no configuration (and sessions survive restarts).
LOCAL_MODE_SECRET = "local-mode-secret-not-for-production-use-0000"


class SettingsError(ValueError):
    """A setting is missing or unsafe; the message says what to set."""


def checked_secret(secret: str, *, local_mode: bool) -> str:
    """The secret to use, or SettingsError with a message that says what to set."""
    secret = secret.strip()
    if local_mode and secret.lower() in PLACEHOLDER_SECRETS:
        return LOCAL_MODE_SECRET
    if secret.lower() in PLACEHOLDER_SECRETS or len(secret) < MIN_SECRET_LENGTH:
        raise SettingsError(
            "BETTER_AUTH_SECRET must be set to a random value of at least "
            f"{MIN_SECRET_LENGTH} characters (for example: openssl rand -hex 32); "
            "set LOCAL_MODE=true only for a local, single-user run"
        )
    return secret
