"""A hand-driven HAIP wallet for issuer tests: a development wallet provider (a CA and its
attestation key), and a wallet that pushes an authorization request with PKCE, DPoP and a wallet
attestation, plays the citizen's browser on the agency's pages and exchanges the code. Every
step is separate, so tests can tamper with any of them; the nonce retry is automatic unless
turned off."""

from __future__ import annotations

import datetime as dt
import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
from cryptography.hazmat.primitives.serialization import Encoding

from credentials.oauth import (
    make_client_attestation,
    make_client_attestation_pop,
    make_dpop_proof,
    new_verifier,
    s256,
)
from credentials.x509 import (
    CertificateName,
    LeafPurpose,
    create_intermediate_ca,
    create_leaf,
    create_root_ca,
)
from did.keys import PrivateKey
from tests.support.oid4vci_client import make_proof

__all__ = ["CLIENT_ID", "REDIRECT", "HaipWallet", "Provider", "make_provider"]

CLIENT_ID = "https://wallet.drukid.bt"
REDIRECT = "http://127.0.0.1:53999/receive/callback"
DAY = dt.timedelta(days=1)


@dataclass(frozen=True)
class Provider:
    """A wallet provider: its CA (the issuer's anchor) and the attestation signing key."""

    ca_pem: Path
    key: PrivateKey
    chain: list[Any]

    def attestation(self, instance: PrivateKey, **overrides: Any) -> str:
        now = int(time.time())
        args: dict[str, Any] = {
            "sub": CLIENT_ID,
            "instance_key": instance.public_key,
            "iat": now,
            "exp": now + 3600,
            "iss": "https://provider.drukid.bt",
            "x5c": self.chain,
            "wallet_name": "drukid wallet",
        }
        args.update(overrides)
        key = args.pop("provider_key", self.key)
        return make_client_attestation(key, **args)


def make_provider(directory: Path, *, name: str = "Wallet Provider CA") -> Provider:
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    root_key, ca_key, key = PrivateKey.generate(), PrivateKey.generate(), PrivateKey.generate()
    window = {"not_before": now - DAY, "not_after": now + 30 * DAY}
    root = create_root_ca(
        root_key,
        CertificateName("Root", "Agency", "BT"),
        not_before=now - 2 * DAY,
        not_after=now + 60 * DAY,
    )
    ca = create_intermediate_ca(
        ca_key.public_key,
        CertificateName(name, "Agency", "BT"),
        issuer_cert=root,
        issuer_key=root_key,
        **window,
    )
    leaf = create_leaf(
        LeafPurpose.WALLET_PROVIDER,
        key.public_key,
        CertificateName("drukid wallet", "Agency", "BT"),
        issuer_cert=ca,
        issuer_key=ca_key,
        **window,
    )
    directory.mkdir(parents=True, exist_ok=True)
    pem = directory / f"{name.replace(' ', '-').lower()}.pem"
    pem.write_bytes(ca.public_bytes(Encoding.PEM))
    return Provider(pem, key, [leaf])


@dataclass
class HaipWallet:
    http: httpx.Client
    issuer: str
    provider: Provider | None
    dpop_key: PrivateKey = field(default_factory=PrivateKey.generate)
    instance_key: PrivateKey = field(default_factory=PrivateKey.generate)
    nonce: str | None = None
    verifier: str = field(default_factory=lambda: new_verifier(secrets.token_bytes))
    state: str = field(default_factory=lambda: secrets.token_urlsafe(16))
    redirect_uri: str = REDIRECT

    def path(self, url: str) -> str:
        return url[len(self.issuer) :] if url.startswith(self.issuer) else url

    def dpop(
        self,
        htm: str,
        path: str,
        *,
        token: str | None = None,
        key: PrivateKey | None = None,
        **overrides: Any,
    ) -> str:
        args: dict[str, Any] = {
            "htm": htm,
            "htu": self.issuer + path,
            "iat": int(time.time()),
            "jti": secrets.token_urlsafe(16),
            "nonce": self.nonce,
            "access_token": token,
        }
        args.update(overrides)
        return make_dpop_proof(key or self.dpop_key, **args)

    def attestation_headers(
        self, *, aud: str | None = None, sub: str = CLIENT_ID, **overrides: Any
    ) -> dict[str, str]:
        if self.provider is None:
            return {}
        overrides["sub"] = sub
        pop = make_client_attestation_pop(
            self.instance_key,
            sub=sub,
            aud=aud or self.issuer,
            iat=int(time.time()),
            jti=secrets.token_urlsafe(16),
        )
        return {
            "OAuth-Client-Attestation": self.provider.attestation(self.instance_key, **overrides),
            "OAuth-Client-Attestation-PoP": pop,
        }

    def _remember(self, response: httpx.Response) -> httpx.Response:
        if "dpop-nonce" in response.headers:
            self.nonce = response.headers["dpop-nonce"]
        return response

    def post(
        self,
        path: str,
        *,
        data: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        dpop: bool = True,
        retry: bool = True,
        token: str | None = None,
        json: Any = None,
        attest: bool = False,
    ) -> httpx.Response:
        """POST with a fresh DPoP proof (and attestation when asked); one retry on
        ``use_dpop_nonce`` like a real wallet."""
        for _ in range(2):
            sent = dict(headers or {})
            if dpop:
                sent["DPoP"] = self.dpop("POST", path, token=token)
            if token is not None:
                sent["Authorization"] = f"DPoP {token}"
            if attest:
                sent.update(self.attestation_headers())
            response = self._remember(self.http.post(path, data=data, json=json, headers=sent))
            body_error = ""
            if response.headers.get("content-type", "").startswith("application/json"):
                body_error = str(response.json().get("error", "")) if response.content else ""
            if retry and dpop and body_error == "use_dpop_nonce":
                continue
            return response
        return response

    def par_params(self, **overrides: str | None) -> dict[str, str]:
        params: dict[str, str | None] = {
            "response_type": "code",
            "client_id": CLIENT_ID,
            "redirect_uri": self.redirect_uri,
            "scope": "permanent-address",
            "state": self.state,
            "code_challenge": s256(self.verifier),
            "code_challenge_method": "S256",
        }
        params.update(overrides)
        return {k: v for k, v in params.items() if v is not None}

    def par(self, **overrides: str | None) -> httpx.Response:
        return self.post("/par", data=self.par_params(**overrides), attest=True)

    def authorize(self, request_uri: str, *, client_id: str = CLIENT_ID) -> httpx.Response:
        return self.http.get(
            "/authorize", params={"client_id": client_id, "request_uri": request_uri}
        )

    @staticmethod
    def form_values(page: httpx.Response) -> dict[str, str]:
        text = page.text
        values = {}
        for name in ("ref", "csrf"):
            marker = f'name="{name}" value="'
            start = text.index(marker) + len(marker)
            values[name] = text[start : text.index('"', start)]
        return values

    def sign_in(self, page: httpx.Response, cid: str, code: str) -> httpx.Response:
        return self.http.post(
            "/authorize/sign-in", data={**self.form_values(page), "cid": cid, "code": code}
        )

    def consent(self, page: httpx.Response, answer: str = "add", **extra: str) -> httpx.Response:
        return self.http.post(
            "/authorize/consent", data={**self.form_values(page), "answer": answer, **extra}
        )

    def browser(self, request_uri: str, cid: str, signin_code: str) -> dict[str, str]:
        """The citizen's part: open, sign in, agree; the redirect's query parameters."""
        page = self.authorize(request_uri)
        assert page.status_code == 200, page.text
        signed = self.sign_in(page, cid, signin_code)
        assert signed.status_code == 303, signed.text
        consent_page = self.http.get(self.path(signed.headers["location"]))
        assert consent_page.status_code == 200, consent_page.text
        done = self.consent(consent_page)
        assert done.status_code == 303, done.text
        location = done.headers["location"]
        assert location.startswith(self.redirect_uri)
        return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}

    def token(self, code: str, **overrides: str | None) -> httpx.Response:
        data: dict[str, str | None] = {
            "grant_type": "authorization_code",
            "code": code,
            "code_verifier": self.verifier,
            "redirect_uri": self.redirect_uri,
        }
        data.update(overrides)
        return self.post(
            "/token", data={k: v for k, v in data.items() if v is not None}, attest=True
        )

    def refresh(self, refresh_token: str) -> httpx.Response:
        data = {"grant_type": "refresh_token", "refresh_token": refresh_token}
        return self.post("/token", data=data, attest=True)

    def credential(
        self, access_token: str, type_id: str = "permanent-address", *, keys: int = 1
    ) -> httpx.Response:
        nonce = self._remember(self.http.post("/nonce")).json()["c_nonce"]
        proofs = [
            make_proof(PrivateKey.generate(), aud=self.issuer, nonce=nonce) for _ in range(keys)
        ]
        body = {"credential_configuration_id": type_id, "proofs": {"jwt": proofs}}
        return self.post("/credential", json=body, token=access_token)
