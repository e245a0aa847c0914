"""What both services' settings share: where LOCAL_MODE listens, and how a setting that cannot
be used is reported (one line naming each variable and what is wrong with it, no trace)."""

from collections.abc import Iterable, Mapping

# LOCAL_MODE's fixed development secret must not be reachable from the network.
LOCAL_MODE_HOST = "127.0.0.1"


def error_line(errors: Iterable[Mapping[str, object]]) -> str:
    """pydantic's `ValidationError.errors()` of a Settings class as one line. The services'
    own checks (a `ValueError`) already name the variable; pydantic's get it prefixed."""
    problems = []
    for error in errors:
        message = str(error["msg"]).removeprefix("Value error, ")
        location = error.get("loc")
        if error["type"] == "value_error" or not isinstance(location, tuple) or not location:
            problems.append(message)
            continue
        variable = ".".join(str(part) for part in location).upper()
        problems.append(f"{variable}={error.get('input')!r}: {message[:1].lower()}{message[1:]}")
    return "; ".join(problems)
