"""The offline QR codes (docs/offline-qr.md): a signed presentation request the verifier
shows (``DKR1:``) and the presentation the wallet shows back (``DKP1:``, in one or several
parts). Pure: values in, values out; keys and time are arguments."""

from credentials.offline.codec import (
    MAX_PARTS,
    PART_PREFIX,
    PartCollector,
    join_parts,
    pack,
    split_parts,
    unpack,
)
from credentials.offline.presentation import (
    OfflinePresentation,
    encode_presentation,
    parse_presentation,
)
from credentials.offline.request import (
    OFFLINE_REQUEST_TYP,
    REQUEST_PREFIX,
    create_offline_request,
    parse_offline_request,
)

__all__ = [
    "MAX_PARTS",
    "OFFLINE_REQUEST_TYP",
    "PART_PREFIX",
    "REQUEST_PREFIX",
    "OfflinePresentation",
    "PartCollector",
    "create_offline_request",
    "encode_presentation",
    "join_parts",
    "pack",
    "parse_offline_request",
    "parse_presentation",
    "split_parts",
    "unpack",
]
