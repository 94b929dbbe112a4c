"""Credential issuance through the whole HTTP stack vs. the raw signature cost of it.

Subject: one OpenID4VCI issuance as a wallet makes it — POST /token (pre-authorized code),
POST /nonce, POST /credential with one ES256 key proof — through FastAPI in-process (ASGI via
Starlette's TestClient), the SQLite database file (WAL, synchronous=FULL) on local disk, and an
ES256 Foundational ID with 13 selectively disclosable claims, decoys and a status list entry.

Baselines, measured in the same run:

* raw crypto: the ECDSA P-256 operations the issuer must do per credential — verify the proof
  signature and sign the credential — with cryptography directly;
* spec logic: the same issuance without HTTP or database — verify_proof_jwt + build claims +
  issue_sd_jwt_vc (the wallet's proof is signed in the subject loop too, so a ratio of ~3 is
  the floor that signatures alone would set).
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from fastapi import FastAPI
from starlette.testclient import TestClient

from benchmarks._timing import Measurement, compare
from credentials.jose import sign_jws
from credentials.sd_jwt_vc import issue_sd_jwt_vc
from did.keys import PrivateKey
from issuer.api.app import create_app
from issuer.claims import build_claims, present_sd_paths
from issuer.oid4vci.offer import PRE_AUTHORIZED_GRANT
from issuer.oid4vci.proof import PROOF_TYP, verify_proof_jwt
from issuer.operator import OfferItem, local_actor
from issuer.registry import demo_people
from issuer.settings import IssuerSettings
from issuer.types import load_types

ISSUER = "http://127.0.0.1:8101"
NUMBER, ROUNDS = 25, 5


def _proof(key: PrivateKey, nonce: str) -> str:
    payload = {"aud": ISSUER, "iat": int(time.time()), "nonce": nonce}
    return sign_jws(payload, key, typ=PROOF_TYP, headers={"jwk": key.public_key.to_jwk()})


def _http_issuance(client: TestClient, codes: Iterator[str]) -> Callable[[], None]:
    holder = PrivateKey.generate("ES256")

    def issue_one() -> None:
        token = client.post(
            "/token",
            data={"grant_type": PRE_AUTHORIZED_GRANT, "pre-authorized_code": next(codes)},
        ).json()["access_token"]
        nonce = client.post("/nonce").json()["c_nonce"]
        response = client.post(
            "/credential",
            json={
                "credential_configuration_id": "foundational-id",
                "proofs": {"jwt": [_proof(holder, nonce)]},
            },
            headers={"Authorization": f"Bearer {token}"},
        )
        if response.status_code != 200:
            raise RuntimeError(response.text)

    return issue_one


def _spec_issuance() -> Callable[[], None]:
    issuer_key, holder = PrivateKey.generate("ES256"), PrivateKey.generate("ES256")
    ctype = load_types()["foundational-id"]
    person = demo_people()[0]
    proof = _proof(holder, "nonce-1")

    def issue_one() -> None:
        verified = verify_proof_jwt(
            proof,
            audience=ISSUER,
            now=int(time.time()),
            algorithms=("ES256",),
            max_age=300,
            leeway=60,
        )
        claims = build_claims(ctype, today=date.today(), person=person)
        issue_sd_jwt_vc(
            claims,
            issuer_key,
            iss=ISSUER,
            vct=ctype.vct(ISSUER),
            iat=int(time.time()),
            exp=int(time.time()) + 86400,
            sd_paths=present_sd_paths(ctype, claims),
            holder_key=verified.key,
            status={"status_list": {"idx": 7, "uri": f"{ISSUER}/status/1"}},
            decoys=3,
        )

    return issue_one


def _raw_crypto() -> Callable[[], None]:
    issuer_key = ec.generate_private_key(ec.SECP256R1())
    holder_key = ec.generate_private_key(ec.SECP256R1())
    algorithm = ec.ECDSA(hashes.SHA256())
    data = b"x" * 900
    proof_signature = holder_key.sign(data, algorithm)
    public = holder_key.public_key()

    def raw() -> None:
        public.verify(proof_signature, data, algorithm)
        issuer_key.sign(data * 2, algorithm)

    return raw


@contextmanager
def _issuer(folder: Path) -> Iterator[tuple[TestClient, Iterator[str]]]:
    settings = IssuerSettings(
        mode="development", public_url=ISSUER, data_dir=folder, status_list_size=131_072
    )
    app = create_app(settings)
    with TestClient(app) as client:
        needed = (NUMBER * ROUNDS) + max(5, NUMBER // 10) + 10
        offers = app.state.runtime.operator.offers.create_many(
            local_actor(), [OfferItem("foundational-id", "11512003456")] * needed
        )
        yield (
            client,
            iter(_code(app, o.credential_offer_uri.rsplit("/", 1)[1]) for o in offers),
        )


def _code(app: FastAPI, offer_id: str) -> str:
    """The offer's pre-authorized code, as a wallet gets it (random, sealed in the offer row)."""
    offer = app.state.runtime.preauthorized.credential_offer(offer_id)
    return str(offer["grants"][PRE_AUTHORIZED_GRANT]["pre-authorized_code"])


def run() -> list[Measurement]:
    memory = Path("/dev/shm") if Path("/dev/shm").is_dir() else None
    with (
        tempfile.TemporaryDirectory(dir=Path.cwd()) as on_disk,
        tempfile.TemporaryDirectory(dir=memory) as in_memory,
        _issuer(Path(on_disk)) as (disk_client, disk_codes),
        _issuer(Path(in_memory)) as (memory_client, memory_codes),
    ):
        return compare(
            [
                ("raw crypto: ES256 proof verify + credential sign", _raw_crypto()),
                ("spec logic: verify proof + issue SD-JWT VC", _spec_issuance()),
                (
                    "HTTP, SQLite on disk: /token + /nonce + /credential",
                    _http_issuance(disk_client, disk_codes),
                ),
                (
                    "HTTP, SQLite in memory (tmpfs; no fsync wait)",
                    _http_issuance(memory_client, memory_codes),
                ),
            ],
            number=NUMBER,
            rounds=ROUNDS,
        )


def report() -> str:
    raw, spec, disk, memory = run()
    return "\n".join(
        [
            f"OpenID4VCI issuance, one process ({datetime.now(UTC):%Y-%m-%d})",
            raw.line(),
            spec.line(),
            disk.line(),
            memory.line(),
            f"HTTP on disk / raw crypto:    {disk.seconds_per_op / raw.seconds_per_op:.0f}x",
            f"HTTP in memory / raw crypto:  {memory.seconds_per_op / raw.seconds_per_op:.0f}x",
            f"HTTP in memory / spec logic:  {memory.seconds_per_op / spec.seconds_per_op:.1f}x",
        ]
    )


if __name__ == "__main__":
    print(report())
