"""The README's screenshot is there and is a real picture of a desktop-sized page.

tests/browser/test_readme_screenshot.py takes it; `make screenshot` writes it to docs/."""

import struct
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCREENSHOT = ROOT / "docs/screenshot.png"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def test_the_readme_shows_the_screenshot() -> None:
    assert "](docs/screenshot.png)" in (ROOT / "README.md").read_text()


def test_the_screenshot_is_a_desktop_sized_png_small_enough_to_commit() -> None:
    data = SCREENSHOT.read_bytes()
    assert data.startswith(PNG_SIGNATURE), "docs/screenshot.png is not a PNG"
    # The first chunk is IHDR: its length, its type, then width and height.
    _, chunk_type, width, height = struct.unpack(">I4sII", data[8:24])
    assert chunk_type == b"IHDR"
    assert width >= 1024 and height >= 600, f"{width}x{height} is too small to read"
    assert 20_000 < len(data) < 300_000, f"{len(data)} bytes: empty, or too big for the repository"
