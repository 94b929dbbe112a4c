"""Write the wallet file-format vectors in ``tests/vectors/wallet/`` (run by hand):

    python -m tests.support.make_wallet_vectors

A wallet file and a backup made through the public API against the in-process test doubles:
two credentials (one with a status list, checked as revoked), one answered and one refused
request (history), one known verifier. ``tests/unit/wallet/test_file_format.py`` opens them, so
a change that stops existing wallets or backups from opening fails there. Regenerate only when
the format itself changes on purpose (and then keep the old files as well).
"""

from __future__ import annotations

import json
from pathlib import Path

from credentials.status_list import STATUS_INVALID
from did.fetch import Fetcher
from tests.support.fake_verifier import FakeVerifier, query
from tests.support.wallet_issuer import FakeIssuer, asgi_transport
from wallet import ScryptParams, Wallet, WalletSettings

__all__ = ["BACKUP_PASSPHRASE", "NOW", "PASSPHRASE", "write_vectors"]

NOW = 1_800_000_000
PASSPHRASE = "correct horse battery"
BACKUP_PASSPHRASE = "a backup passphrase"
FAST_KDF = ScryptParams(n=2**4, r=8, p=1)
OUT = Path(__file__).resolve().parents[1] / "vectors" / "wallet"


def write_vectors(folder: Path) -> dict[str, object]:
    issuer = FakeIssuer("https://issuer.example", now=NOW)
    issuer.with_status = True
    keys = {issuer.base_url: {issuer.kid: issuer.key.public_key}}
    verifier = FakeVerifier("https://verifier.example", issuer_keys=keys, now=NOW)
    transport = asgi_transport(
        {"issuer.example": issuer.build_app(), "verifier.example": verifier.build_app()}
    )
    settings = WalletSettings(
        mode="production", data_dir=folder, max_response_bytes=1024 * 1024, copies=2
    )
    path = folder / "wallet-v1.sqlite3"
    for leftover in (path, folder / "backup-v1.drukid-backup"):
        leftover.unlink(missing_ok=True)
    with Wallet.create(
        path,
        PASSPHRASE,
        settings=settings,
        kdf=FAST_KDF,
        network=lambda: Fetcher(settings.fetch_policy(), transport=transport),
        clock=lambda: NOW,
    ) as wallet:
        [pid] = wallet.receive(issuer.offer("foundational-id"))
        issuer.with_status = False
        [address] = wallet.receive(issuer.offer("permanent-address"))
        link, _ = verifier.create_request(query(issuer.vct("foundational-id"), ["full_name"]))
        wallet.approve(wallet.prepare_presentation(link))
        link, _ = verifier.create_request(query(issuer.vct("permanent-address"), ["address"]))
        wallet.refuse(wallet.prepare_presentation(link))
        wallet.trust_verifier(verifier.client_id, "Bhutan National Bank")
        issuer.set_status(STATUS_INVALID)
        wallet.check_status()
        wallet.export_backup(folder / "backup-v1.drukid-backup", BACKUP_PASSPHRASE, kdf=FAST_KDF)
        return {
            "credentials": [pid.id, address.id],
            "verifier": verifier.client_id,
            "history": [e.outcome for e in wallet.history()],
        }


if __name__ == "__main__":
    OUT.mkdir(parents=True, exist_ok=True)
    print(json.dumps(write_vectors(OUT), indent=2))
