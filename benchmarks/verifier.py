"""The verifier library and service vs. the raw cost of a presentation's two ES256 signatures.

Subject 1: ``verifier.verify_presentation`` on an ES256 SD-JWT VC (12 selectively disclosable
claims, 3 disclosed, ES256 KB-JWT) with everything a bank runs: trust registry lookup, issuer
key (pinned, or from cached JWT VC Issuer Metadata), RFC 9901 §7 and SD-JWT VC checks, key
binding, required claims and a Token Status List check served from the ``ttl`` cache.
Reference points in the same run: the two raw ECDSA P-256 verifications (the floor, target
ratio <= 1.3) and ``credentials.sd_jwt_vc.verify_sd_jwt_vc`` alone (the core this layer wraps),
so the report says what the verifier layer itself costs.

Subject 2: requests per second through ``POST /oid4vp/response/{id}`` (``direct_post.jwt``:
ECDH-ES decryption, state, single-use claim, verification, DCQL re-check, result stored), ASGI
in-process with SQLite, each request answered once.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

from benchmarks._timing import Measurement, compare
from benchmarks.sd_jwt_verify import CLAIMS, der_signature
from credentials.jose import parse_jws
from credentials.sd_jwt import parse_sd_jwt, present_sd_jwt
from credentials.sd_jwt_vc import issue_sd_jwt_vc, verify_sd_jwt_vc
from credentials.status_list import STATUS_LIST_MEDIA_TYPE, StatusList, create_status_list_token
from did.fetch import Fetcher
from did.keys import PrivateKey
from verifier import IssuerKeys, Policy, StatusChecker, TrustRegistry, verify_presentation

NOW = 1_800_000_000
ISS = "https://registry.example.bt"
VCT = f"{ISS}/types/foundational-id"
STATUS_URI = f"{ISS}/status/1"
AUD = "decentralized_identifier:did:web:bank.example.bt"
NONCE = "n-0S6_WzA2Mj"


def _fixture() -> dict[str, Any]:
    import httpx

    issuer, holder = PrivateKey.generate("ES256"), PrivateKey.generate("ES256")
    kid = issuer.public_key.thumbprint()
    credential = issue_sd_jwt_vc(
        CLAIMS,
        issuer,
        iss=ISS,
        vct=VCT,
        iat=NOW - 60,
        exp=NOW + 86400,
        kid=kid,
        sd_paths=[f"/{name}" for name in CLAIMS],
        holder_key=holder.public_key,
        status={"status_list": {"idx": 7, "uri": STATUS_URI}},
    )
    presentation = present_sd_jwt(
        credential,
        disclose=["/full_name", "/cid", "/age_over_18"],
        holder_key=holder,
        nonce=NONCE,
        aud=AUD,
        iat=NOW,
    ).serialize()
    token = create_status_list_token(
        StatusList(1024, bits=2),
        uri=STATUS_URI,
        key=issuer,
        iat=NOW,
        exp=NOW + 86400,
        ttl=3600,
        kid=kid,
        iss=ISS,
    )
    jwk = {**issuer.public_key.to_jwk(), "kid": kid}
    documents = {
        "/.well-known/jwt-vc-issuer": {"issuer": ISS, "jwks": {"keys": [jwk]}},
    }

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/status/1":
            return httpx.Response(200, content=token.encode())
        return httpx.Response(200, json=documents[request.url.path])

    entry = {"id": ISS, "name": "Civil Registration", "types": {"foundational-id": VCT}}
    return {
        "issuer": issuer,
        "holder": holder,
        "credential": credential,
        "presentation": presentation,
        "transport": httpx.MockTransport(handler),
        "pinned": TrustRegistry.from_json({"issuers": [{**entry, "keys": [jwk]}]}),
        "metadata": TrustRegistry.from_json({"issuers": [entry]}),
    }


def run_library() -> list[Measurement]:
    f = _fixture()
    text: str = f["presentation"]
    parts = parse_sd_jwt(text)
    jws, kb = parse_jws(parts.jwt), parse_jws(parts.kb_jwt or "")
    raw = [
        (f["issuer"].public_key.key, der_signature(jws.signature), jws.signing_input),
        (f["holder"].public_key.key, der_signature(kb.signature), kb.signing_input),
    ]
    algorithm = ec.ECDSA(hashes.SHA256())
    fetcher = Fetcher(transport=f["transport"])
    keys, status = (
        IssuerKeys(fetcher=fetcher),
        StatusChecker(fetch=fetcher.content_getter(accept=STATUS_LIST_MEDIA_TYPE)),
    )
    policy = Policy()
    issuer_key = f["issuer"].public_key

    def baseline() -> None:
        for key, signature, data in raw:
            key.verify(signature, data, algorithm)

    def core() -> None:
        verify_sd_jwt_vc(
            text, issuer_key=issuer_key, now=NOW, require_key_binding=True, nonce=NONCE, aud=AUD
        )

    def verifier_pinned() -> None:
        verify_presentation(
            text,
            policy=policy,
            trust=f["pinned"],
            nonce=NONCE,
            aud=AUD,
            now=NOW,
            keys=keys,
            status=status,
            required_claims=("cid",),
        )

    def verifier_metadata() -> None:
        verify_presentation(
            text,
            policy=policy,
            trust=f["metadata"],
            nonce=NONCE,
            aud=AUD,
            now=NOW,
            keys=keys,
            status=status,
            required_claims=("cid",),
        )

    verifier_pinned()  # must verify before it is timed (and fills the status cache)
    verifier_metadata()
    try:
        return compare(
            [
                ("baseline: 2 raw ES256 verifications", baseline),
                ("core: verify_sd_jwt_vc (no trust, no status)", core),
                ("verify_presentation, pinned key, status cached", verifier_pinned),
                ("verify_presentation, metadata key cached, status cached", verifier_metadata),
            ]
        )
    finally:
        fetcher.close()


def _prepared(runtime: Any, f: dict[str, Any], count: int) -> list[tuple[str, dict[str, str]]]:
    """``count`` fresh requests, each with its encrypted wallet answer ready to post."""
    from core.encoding import dumps_compact
    from credentials.jose import encrypt_jwe

    forms = []
    for _ in range(count):
        created = runtime.requests.create("bench", template="kyc-basic")
        request = parse_jws(runtime.requests.request_object(created["id"])[0]).payload
        vp = present_sd_jwt(
            f["credential"],
            disclose=["/full_name", "/cid", "/birthdate"],
            holder_key=f["holder"],
            nonce=request["nonce"],
            aud=request["client_id"],
            iat=NOW,
        ).serialize()
        payload = dumps_compact({"vp_token": {"national_id": [vp]}, "state": request["state"]})
        jwk = request["client_metadata"]["jwks"]["keys"][0]
        forms.append((created["id"], {"response": encrypt_jwe(payload.encode(), jwk)}))
    return forms


def run_service(count: int = 150) -> dict[str, float]:
    """Seconds per response: through HTTP (ASGI in-process), through the service method
    alone, and the JWE decryption alone."""

    from starlette.testclient import TestClient

    from core.encoding import parse_json
    from credentials.jose import decrypt_jwe
    from verifier.api.app import create_app
    from verifier.settings import VerifierSettings

    f = _fixture()
    timings: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        trust = Path(tmp) / "trust.json"
        f["pinned"].save(trust)
        settings = VerifierSettings(
            public_url="https://verifier.example.bt",
            data_dir=Path(tmp) / "data",
            trust_file=trust,
            request_lifetime_seconds=3600,
        )
        app = create_app(settings, clock=lambda: NOW, transport=f["transport"], start_workers=False)
        with TestClient(app, base_url="https://verifier.example.bt") as client:
            runtime = app.state.runtime
            runtime.api_keys.create("bench")
            forms = _prepared(runtime, f, count)
            client.post(f"/oid4vp/response/{forms[0][0]}", data=forms[0][1])  # warm up
            start = time.perf_counter()
            for request_id, form in forms[1:]:
                answer = client.post(f"/oid4vp/response/{request_id}", data=form)
                assert answer.status_code == 200, answer.text
            timings["http"] = (time.perf_counter() - start) / (count - 1)
            direct = _prepared(runtime, f, count)
            start = time.perf_counter()
            for request_id, form in direct:
                runtime.responses.handle(request_id, form)
            timings["service"] = (time.perf_counter() - start) / count
            extra = _prepared(runtime, f, 1)[0]
            from sqlmodel import Session

            from verifier.storage.models import RequestRecord

            with Session(runtime.context.engine) as session:
                record_key = parse_json(session.get(RequestRecord, extra[0]).ephemeral_jwk)
            token = extra[1]["response"]
            start = time.perf_counter()
            for _ in range(count):
                decrypt_jwe(token, record_key)
            timings["decrypt"] = (time.perf_counter() - start) / count
    return timings


def report() -> str:
    base, core, pinned, metadata = run_library()
    service = run_service()

    def ratio(m: Measurement) -> str:
        return f"{m.seconds_per_op / base.seconds_per_op:.2f}x"

    layer = pinned.seconds_per_op - core.seconds_per_op
    return "\n".join(
        [
            "Verifier: presentation verification (library) and response endpoint (service)",
            base.line(),
            core.line() + f"  {ratio(core)}",
            pinned.line() + f"  {ratio(pinned)}",
            metadata.line() + f"  {ratio(metadata)}",
            f"ratio to baseline (pinned, status cached): {ratio(pinned)} (target <= 1.30x); "
            f"verifier layer adds {layer * 1e6:.1f} µs over the core",
            f"POST /oid4vp/response (direct_post.jwt, SQLite, in-process): "
            f"{1 / service['http']:,.0f} requests/s ({service['http'] * 1e3:.2f} ms/request)",
            f"  of which the service method {service['service'] * 1e3:.2f} ms (JWE decryption "
            f"{service['decrypt'] * 1e3:.2f} ms, verification {pinned.seconds_per_op * 1e3:.2f} "
            "ms, the rest database commits and bookkeeping); HTTP/ASGI "
            f"{(service['http'] - service['service']) * 1e3:.2f} ms",
        ]
    )


if __name__ == "__main__":
    print(report())
