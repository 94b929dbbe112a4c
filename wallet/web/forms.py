"""What the citizen gives the web wallet: a pasted link or a photo of a QR code, a backup
file, passphrases.

Pasted text is only ever a link: the library also reads a *file path* as an image, which a web
page must never let anyone do, so text without ``://`` is refused here. A photo is decoded here
(not in the library) so a blurred photo gets advice about photos, and a request pasted where an
offer belongs (or the other way round) gets advice about which page to use. A passphrase
asked for again before a lasting change counts towards the same pause as the unlock page.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Form, UploadFile
from fastapi import Path as PathParam

from servicekit.pages import PageProblem
from servicekit.qr import QRDecodeError, decode_qr_image
from wallet.errors import PresentError, ReceiveError, VaultError, WalletError, hint_for
from wallet.holder import Wallet
from wallet.web import words
from wallet.web.state import TooManyTries, UnlockGuard

__all__ = [
    "MAX_LINK_CHARS",
    "OFFER",
    "REQUEST",
    "CredentialId",
    "LinkKind",
    "Passphrase",
    "SentLink",
    "Ticket",
    "confirm_passphrase",
    "read_backup",
    "read_link_input",
    "read_upload",
]

# Offers and requests by value stay well below this; by reference they are ~200 characters.
MAX_LINK_CHARS = 16_000
# Tickets and credential ids in paths: random URL-safe text, nothing else reaches the wallet.
Ticket = Annotated[str, PathParam(pattern=r"^[A-Za-z0-9_-]{8,64}$")]
CredentialId = Annotated[str, PathParam(pattern=r"^[0-9a-f]{4,64}$")]
Passphrase = Annotated[str, Form(max_length=1024)]


@dataclass(frozen=True, slots=True)
class LinkKind:
    error: type[ReceiveError] | type[PresentError]
    scheme: str
    name: str  # "offer link"
    a_name: str  # "an offer link"
    other_scheme: str
    other_hint: str


OFFER = LinkKind(
    ReceiveError,
    "openid-credential-offer://",
    "offer link",
    "an offer link",
    "openid4vp://",
    "This is a request to SHARE information, not an offer. Open 'Share' and paste it there.",
)
REQUEST = LinkKind(
    PresentError,
    "openid4vp://",
    "request link",
    "a request link",
    "openid-credential-offer://",
    "This is an OFFER of a credential, not a request. Open 'Receive' and paste it there.",
)


@dataclass(frozen=True, slots=True)
class SentLink:
    """What the receive or share form sent: a pasted link, a photo of a QR code, or both."""

    text: str
    photo: UploadFile | None

    def read(self, kind: LinkKind, max_bytes: int) -> str:
        """The link: the pasted one, else the one in the photo (at most ``max_bytes``)."""
        return read_link_input(self.text, read_upload(self.photo, max_bytes, kind), kind)


def _fail(kind: LinkKind, message: str, code: str, hint: str) -> WalletError:
    return kind.error(message, code=code, hint=hint)


def read_link_input(text: str, photo: bytes | None, kind: LinkKind) -> str:
    """The link from the pasted ``text`` (preferred when both are given) or the QR ``photo``."""
    text = text.strip()
    if text:
        return _checked(text, kind)
    if not photo:
        raise _fail(
            kind,
            "you did not paste a link or choose a photo of a QR code",
            "link_missing",
            f"Paste the whole {kind.name}, or choose a photo of its QR code, then press the "
            "button again.",
        )
    try:
        found = decode_qr_image(photo)
    except QRDecodeError as exc:
        raise _fail(
            kind,
            exc.message,
            "qr_unreadable",
            hint_for("qr_unreadable"),
        ) from exc
    wanted = [t for t in found if t.startswith(kind.scheme)]
    return _checked((wanted or found)[0], kind)


def _checked(text: str, kind: LinkKind) -> str:
    if len(text) > MAX_LINK_CHARS:
        raise _fail(
            kind,
            f"this is far longer than any {kind.name}",
            "link_invalid",
            f"Copy only the {kind.name} and paste it again.",
        )
    if text.startswith(kind.other_scheme):
        raise _fail(kind, f"this is not {kind.a_name}", "link_wrong_kind", kind.other_hint)
    if "://" not in text:
        raise _fail(
            kind,
            f"this is not {kind.a_name}",
            "link_invalid",
            f"{kind.a_name.capitalize()} starts with {kind.scheme} — copy the whole link and "
            "paste it again, or use a photo of the QR code.",
        )
    return text


def read_upload(upload: UploadFile | None, max_bytes: int, kind: LinkKind) -> bytes | None:
    """The uploaded photo's bytes (``None`` when no file was chosen), at most ``max_bytes``."""
    if upload is None or not upload.filename:
        return None
    data = upload.file.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise _fail(
            kind,
            f"the photo is too large (over {_size(max_bytes)})",
            "photo_too_large",
            "Take the photo again at a lower resolution, or crop it to the QR code.",
        )
    return data


def _size(count: int) -> str:
    mib = 1024 * 1024
    return f"{count // mib} MB" if count >= mib else f"{count // 1024} KB"


def read_backup(upload: UploadFile | None, max_bytes: int) -> bytes | PageProblem:
    """The chosen backup file's bytes; a problem when none was chosen or it is too large."""
    if upload is None or not upload.filename:
        return words.NO_FILE
    data = upload.file.read(max_bytes + 1)
    return words.BACKUP_TOO_LARGE if len(data) > max_bytes else data


def confirm_passphrase(guard: UnlockGuard, wallet: Wallet, passphrase: str) -> PageProblem | None:
    """Ask again for the wallet passphrase before a change that outlives the session (a backup
    carries the holder keys; a new passphrase locks the owner out). Wrong answers count
    towards the same pause as the unlock page, so an unlocked but unattended wallet is no
    faster way to guess the passphrase."""
    try:
        guard.attempt(lambda: wallet.verify_passphrase(passphrase))
    except TooManyTries as exc:
        return words.too_many_tries(exc.wait)
    except VaultError as exc:
        if exc.code != "wrong_passphrase":
            raise
        return words.NOT_YOUR_PASSPHRASE
    return None
