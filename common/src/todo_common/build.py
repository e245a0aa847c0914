"""Which code answers a request: the project's version, and the build of the image that runs it.

Both health endpoints report them, so a person or a test sees which code a deployment runs (a
rollback shows the previous build again)."""

from importlib.metadata import version

# Every package of the project carries the project's version (tests/test_version.py checks).
VERSION = version("todo-common")
# What IMAGE_BUILD holds when no deployment set it: the code runs from a checkout.
FROM_SOURCE = "dev"
