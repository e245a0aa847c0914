"""Giving back to the system the memory a service freed while starting.

Starting allocates and frees a great deal (bytecode read in, models and schemas built). glibc's
malloc keeps freed pages in the heap, between live ones, and they stay part of the process's
resident memory until something reuses them; an idle service never does. `malloc_trim`
returns them (issue 13 measured 4.5 MB of an idle backend). Only glibc has it: on other C
libraries this does nothing."""

import ctypes


def release_freed_memory() -> None:
    """Return to the system the heap pages malloc holds free (glibc's `malloc_trim`)."""
    try:
        trim = ctypes.CDLL(None).malloc_trim  # the C library the interpreter already runs on
    except (OSError, AttributeError):
        return
    trim(0)
