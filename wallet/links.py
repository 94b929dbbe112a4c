"""What the citizen hands the wallet: a link as text, or the QR code in a photo of it."""

from __future__ import annotations

from pathlib import Path

from servicekit.qr import QRDecodeError, decode_qr_image
from wallet.errors import PresentError, ReceiveError

__all__ = ["read_link"]


def read_link(source: str | bytes, *, error: type[ReceiveError | PresentError]) -> str:
    """The text of a link, or of the QR code in an image (bytes, or a path to a PNG/JPEG)."""
    if isinstance(source, str) and "://" not in source and Path(source).is_file():
        image: str | bytes = source
    elif isinstance(source, bytes):
        image = source
    else:
        return source
    try:
        return decode_qr_image(image)[0]
    except QRDecodeError as exc:
        code = "offer_invalid" if error is ReceiveError else "request_invalid"
        raise error(exc.message, code=code) from exc
