"""What the citizen hands the wallet: a link as text, or the QR code in a photo of it.

A name that looks like a file (an image suffix, or a folder in it) but names no file is a
mistyped path (``file_not_found``), not a link; a file with no readable QR code in it gets the
same words as the web wallet's photo upload (``qr_unreadable``: take a sharper photo).
"""

from __future__ import annotations

from pathlib import Path

from servicekit.qr import QRDecodeError, decode_qr_image
from wallet.errors import PresentError, ReceiveError

__all__ = ["IMAGE_SUFFIXES", "OFFLINE_PREFIXES", "read_link"]

OFFLINE_PREFIXES = ("DKR1:", "DKP1:")  # docs/offline-qr.md
IMAGE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".webp", ".gif", ".bmp", ".heic", ".tif"})


def _looks_like_a_path(text: str) -> bool:
    path = Path(text)
    return path.suffix.lower() in IMAGE_SUFFIXES or "/" in text or "\\" in text


def read_link(source: str | bytes, *, error: type[ReceiveError | PresentError]) -> str:
    """The text of a link, or of the QR code in an image (bytes, or a path to a PNG/JPEG)."""
    if isinstance(source, bytes):
        image: str | bytes = source
    elif "://" in source or source.startswith(OFFLINE_PREFIXES):
        return source  # a link, or an offline QR code's text (base45 may hold "/")
    elif Path(source).is_file():
        image = source
    elif _looks_like_a_path(source):
        raise error(f"there is no file {source!r}", code="file_not_found")
    else:
        return source
    try:
        return decode_qr_image(image)[0]
    except QRDecodeError as exc:
        raise error(exc.message, code="qr_unreadable") from exc
