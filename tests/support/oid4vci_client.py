"""A minimal OpenID4VCI 1.0 wallet for tests: offer → token → nonce → proofs → credential.

Works with any ``httpx.Client`` (a ``TestClient`` over ASGI, or a real client against uvicorn).
URLs under the issuer's public URL are sent through that client, so an issuer whose public URL
is ``http://127.0.0.1:8101`` can be driven in-process. Every step is separate, so tests can
replay, tamper with or skip any of them.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx

from credentials.jose import sign_jws
from did.keys import PrivateKey

__all__ = ["PRE_AUTH", "PROOF_TYP", "Received", "WalletClient", "make_proof"]

PRE_AUTH = "urn:ietf:params:oauth:grant-type:pre-authorized_code"
PROOF_TYP = "openid4vci-proof+jwt"


def make_proof(
    key: PrivateKey,
    *,
    aud: str,
    nonce: str | None,
    iat: int | None = None,
    typ: str = PROOF_TYP,
    header: Mapping[str, Any] | None = None,
    with_jwk: bool = True,
    extra: Mapping[str, Any] | None = None,
) -> str:
    """An ``openid4vci-proof+jwt`` (Appendix F.1), by default with the public key as ``jwk``."""
    payload: dict[str, Any] = {"aud": aud, "iat": int(time.time()) if iat is None else iat}
    if nonce is not None:
        payload["nonce"] = nonce
    payload.update(extra or {})
    headers: dict[str, Any] = {"jwk": key.public_key.to_jwk()} if with_jwk else {}
    headers.update(header or {})
    return sign_jws(payload, key, typ=typ, headers=headers)


@dataclass
class Received:
    credentials: list[str]
    keys: list[PrivateKey]
    notification_id: str
    access_token: str
    offer: dict[str, Any] = field(repr=False, default_factory=dict)


class WalletClient:
    def __init__(self, http: httpx.Client, *, issuer: str) -> None:
        self.http = http
        self.issuer = issuer.rstrip("/")

    def _url(self, url: str) -> str:
        if url.startswith(self.issuer):
            return url[len(self.issuer) :] or "/"
        return url

    def get(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.http.get(self._url(url), **kwargs)

    def fetch_offer(self, offer_uri: str) -> dict[str, Any]:
        """Resolve ``openid-credential-offer://?credential_offer_uri=...`` (by reference)."""
        query = parse_qs(urlsplit(offer_uri).query)
        response = self.get(query["credential_offer_uri"][0])
        response.raise_for_status()
        offer: dict[str, Any] = response.json()
        return offer

    @staticmethod
    def code_of(offer: Mapping[str, Any]) -> str:
        return str(offer["grants"][PRE_AUTH]["pre-authorized_code"])

    def token_response(self, code: str, *, tx_code: str | None = None) -> httpx.Response:
        data = {"grant_type": PRE_AUTH, "pre-authorized_code": code}
        if tx_code is not None:
            data["tx_code"] = tx_code
        return self.http.post(self._url(f"{self.issuer}/token"), data=data)

    def token(self, code: str, *, tx_code: str | None = None) -> str:
        response = self.token_response(code, tx_code=tx_code)
        assert response.status_code == 200, response.text
        return str(response.json()["access_token"])

    def nonce(self) -> str:
        response = self.http.post(self._url(f"{self.issuer}/nonce"))
        assert response.status_code == 200, response.text
        return str(response.json()["c_nonce"])

    def credential_response(
        self, access_token: str | None, body: Any, *, raw: bytes | None = None
    ) -> httpx.Response:
        headers = {"Authorization": f"Bearer {access_token}"} if access_token else {}
        if raw is not None:
            headers["Content-Type"] = "application/json"
            return self.http.post(
                self._url(f"{self.issuer}/credential"), content=raw, headers=headers
            )
        return self.http.post(self._url(f"{self.issuer}/credential"), json=body, headers=headers)

    def request_credentials(
        self, access_token: str, configuration_id: str, proofs: Sequence[str]
    ) -> httpx.Response:
        body = {"credential_configuration_id": configuration_id, "proofs": {"jwt": list(proofs)}}
        return self.credential_response(access_token, body)

    def notify(self, access_token: str, notification_id: str, event: str) -> httpx.Response:
        return self.http.post(
            self._url(f"{self.issuer}/notification"),
            json={"notification_id": notification_id, "event": event},
            headers={"Authorization": f"Bearer {access_token}"},
        )

    def receive(
        self, offer_uri: str, *, tx_code: str | None = None, keys: int = 1, alg: str = "ES256"
    ) -> Received:
        """The whole flow; one fresh holder key per credential (batch issuance)."""
        offer = self.fetch_offer(offer_uri)
        configuration_id = offer["credential_configuration_ids"][0]
        access_token = self.token(self.code_of(offer), tx_code=tx_code)
        nonce = self.nonce()
        holder_keys = [PrivateKey.generate(alg) for _ in range(keys)]
        proofs = [make_proof(k, aud=self.issuer, nonce=nonce) for k in holder_keys]
        response = self.request_credentials(access_token, configuration_id, proofs)
        assert response.status_code == 200, response.text
        body = response.json()
        return Received(
            [item["credential"] for item in body["credentials"]],
            holder_keys,
            body["notification_id"],
            access_token,
            offer,
        )
