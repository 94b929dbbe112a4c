"""QR codes: draw them (PNG, SVG, terminal) and read them back from images.

Offers and presentation requests travel as QR codes; keeping them "by reference" (a short
``request_uri``) keeps the code at a low version that cheap phone cameras read reliably.
"""

from __future__ import annotations

import io
from pathlib import Path

import qrcode
import qrcode.constants
import zxingcpp
from PIL import Image
from qrcode.image.svg import SvgPathImage

from core.errors import CodedError

__all__ = [
    "IMAGE_FORMATS",
    "MAX_IMAGE_PIXELS",
    "QRDecodeError",
    "decode_qr_image",
    "qr_png",
    "qr_svg",
    "qr_terminal",
]

MAX_QR_PAYLOAD = 2048
MAX_IMAGE_BYTES = 10 * 1024 * 1024
MAX_IMAGE_PIXELS = 40_000_000
# The only Pillow plugins a photo of a QR code is opened with.
IMAGE_FORMATS = ("PNG", "JPEG", "WEBP", "GIF", "BMP")
_UNREADABLE = "could not read the photo; use a PNG, JPEG, WebP, GIF or BMP photo of the QR code"


class QRDecodeError(CodedError):
    """The image could not be read or holds no QR code. ``code`` is ``qr_unreadable``."""

    code = "qr_unreadable"


def _make(data: str) -> qrcode.QRCode:
    if not data or len(data) > MAX_QR_PAYLOAD:
        raise ValueError(f"QR payload must be 1 to {MAX_QR_PAYLOAD} characters")
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=4, box_size=8)
    code.add_data(data)
    code.make(fit=True)
    return code


def qr_png(data: str, *, box_size: int = 8) -> bytes:
    code = _make(data)
    code.box_size = box_size
    image = code.make_image(fill_color="black", back_color="white")
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def qr_svg(data: str) -> str:
    image = _make(data).make_image(image_factory=SvgPathImage)
    return image.to_string(encoding="unicode")  # type: ignore[no-any-return]


def qr_terminal(data: str) -> str:
    """The code drawn with half-block characters, two modules per character row."""
    matrix = _make(data).get_matrix()
    lines = []
    for top in range(0, len(matrix), 2):
        upper = matrix[top]
        lower = matrix[top + 1] if top + 1 < len(matrix) else [False] * len(upper)
        row = []
        for a, b in zip(upper, lower, strict=True):
            # Dark modules print as spaces on a light background: reads on dark terminals too.
            row.append(
                {(False, False): "█", (True, False): "▄", (False, True): "▀"}.get((a, b), " ")
            )
        lines.append("".join(row))
    return "\n".join(lines)


def decode_qr_image(source: str | Path | bytes) -> list[str]:
    """Every QR code text found in an image file or image bytes: PNG, JPEG, WebP, GIF or BMP
    only (:data:`IMAGE_FORMATS`; never EPS, which Pillow hands to Ghostscript, or any other
    plugin), at most :data:`MAX_IMAGE_PIXELS`. Whatever goes wrong while decoding (a truncated
    file is ``SyntaxError`` or ``OSError`` from Pillow) is the one ``qr_unreadable`` error."""
    if isinstance(source, bytes):
        raw = source
    else:
        try:
            path = Path(source)
            if path.stat().st_size > MAX_IMAGE_BYTES:
                raise QRDecodeError("the image file is too large (over 10 MB)")
            raw = path.read_bytes()
        except OSError as exc:
            raise QRDecodeError(f"cannot open the image: {exc.strerror or exc}") from exc
    if len(raw) > MAX_IMAGE_BYTES:
        raise QRDecodeError("the image is too large (over 10 MB)")
    try:
        with Image.open(io.BytesIO(raw), formats=IMAGE_FORMATS) as image:
            if image.width * image.height > MAX_IMAGE_PIXELS:
                raise QRDecodeError("the image has too many pixels")
            results = zxingcpp.read_barcodes(
                image.convert("L"), formats=zxingcpp.BarcodeFormats(zxingcpp.BarcodeFormat.QRCode)
            )
    except QRDecodeError:
        raise
    except Exception as exc:  # any decoder failure is an unreadable photo
        raise QRDecodeError(_UNREADABLE) from exc
    texts = [result.text for result in results if result.valid and result.text]
    if not texts:
        raise QRDecodeError("no QR code was found in the image; try a sharper, closer photo")
    return texts
