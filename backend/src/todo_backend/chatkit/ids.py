"""ChatKit ids for our rows: thread `thr_12` is conversation 12, item `msg_34` is message 34.

Derived from the rows' own ids, so nothing new is stored. Any other id names nothing of ours."""

from todo_backend.models import ID_MAX, ID_MIN

THREAD_PREFIX = "thr_"
MESSAGE_PREFIX = "msg_"


def thread_id(conversation_id: int) -> str:
    return f"{THREAD_PREFIX}{conversation_id}"


def item_id(message_id: int) -> str:
    return f"{MESSAGE_PREFIX}{message_id}"


def _row_id(value: str, prefix: str) -> int | None:
    digits = value.removeprefix(prefix)
    if digits == value or not (digits.isascii() and digits.isdecimal()) or len(digits) > 10:
        return None
    row_id = int(digits)
    return row_id if ID_MIN <= row_id <= ID_MAX else None


def conversation_id_of(thread: str) -> int | None:
    """The conversation a thread id names, or None when it names none."""
    return _row_id(thread, THREAD_PREFIX)


def message_id_of(item: str) -> int | None:
    """The message an item id names, or None (an item the stream made up and did not store)."""
    return _row_id(item, MESSAGE_PREFIX)
