"""Who is sending: DPoP proofs (RFC 9449) and wallet attestations (Attestation-Based Client
Authentication, HAIP 1.0 §4.4.1), checked the same way at every endpoint.

:meth:`SenderConstraint.dpop` checks a proof against this issuer's public URL (never the
request's ``Host``), with the server nonces every worker can check (one key in the data
directory), then records its ``jti`` in the replay table in its own short transaction: a proof
is spent once seen, in every worker, even when the request is refused later.
:meth:`SenderConstraint.client` checks the attestation and its PoP against the configured
wallet-provider anchors, that the attested ``sub`` is a registered wallet, and records the
PoP's ``jti`` the same way.
"""

from __future__ import annotations

import hashlib
import logging
import os
from collections.abc import Mapping, Sequence
from pathlib import Path

from credentials.errors import ClientAttestationError, DPoPError
from credentials.oauth import (
    VerifiedClientAttestation,
    VerifiedDPoP,
    check_dpop_proof,
    mint_nonce,
    verify_client_attestation,
)
from credentials.x509 import TrustAnchor
from did.keys import PublicKey
from issuer.context import IssuerContext
from issuer.errors import (
    ConfigurationError,
    InvalidClientError,
    InvalidDPoPProofError,
    InvalidTokenError,
)
from issuer.oauth.clients import WalletClient
from issuer.storage.authorization import Replays

__all__ = ["NONCE_KEY_FILE", "SenderConstraint", "load_nonce_key"]

log = logging.getLogger(__name__)

NONCE_KEY_FILE = "dpop-nonce.key"


def load_nonce_key(keys_dir: Path) -> bytes:
    """The DPoP nonce HMAC key, shared by every worker on this data directory and made once:
    written whole to a private temporary file, then linked into place, so of several workers
    starting at once one key wins and nobody reads a half-written file."""
    keys_dir.mkdir(parents=True, exist_ok=True)
    path = keys_dir / NONCE_KEY_FILE
    if not path.exists():
        temporary = keys_dir / f".{NONCE_KEY_FILE}.{os.getpid()}.{os.urandom(4).hex()}"
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as out:
            out.write(os.urandom(32))
            out.flush()
            os.fsync(out.fileno())
        try:
            os.link(temporary, path)
        except FileExistsError:
            pass  # another worker's key won
        finally:
            temporary.unlink()
    key = path.read_bytes()
    if len(key) != 32:
        raise ConfigurationError(
            f"{path} is not a DPoP nonce key (32 bytes); remove it to make a new one",
            code="dpop_nonce_key_invalid",
        )
    return key


def _key(kind: str, scope: str, jti: str) -> str:
    return hashlib.sha256(f"{kind}|{scope}|{jti}".encode()).hexdigest()


class SenderConstraint:
    """DPoP and client attestation for the authorization server and the credential endpoints."""

    def __init__(
        self,
        context: IssuerContext,
        *,
        nonce_keys: Sequence[bytes],
        clients: Mapping[str, WalletClient],
        anchors: Sequence[TrustAnchor] = (),
        provider_keys: Mapping[str, PublicKey] | None = None,
    ) -> None:
        self.context = context
        self.nonce_keys = list(nonce_keys)
        self.clients = clients
        self.anchors = list(anchors)
        self.provider_keys = dict(provider_keys or {})

    @property
    def algorithms(self) -> tuple[str, ...]:
        return tuple(self.context.settings.dpop_algorithms)

    def nonce(self) -> str:
        """A fresh server nonce for the ``DPoP-Nonce`` header."""
        return mint_nonce(self.nonce_keys[0], self.context.clock())

    def _dpop_refusal(self, exc: DPoPError, *, resource: bool) -> InvalidDPoPProofError:
        error = exc.oauth_error
        headers: dict[str, str] = {}
        if error == "use_dpop_nonce":
            headers["DPoP-Nonce"] = self.nonce()
        if resource:
            algs = " ".join(self.algorithms)
            headers["WWW-Authenticate"] = f'DPoP error="{error}", algs="{algs}"'
        refusal = InvalidDPoPProofError(exc.message, code=exc.code, headers=headers)
        refusal.error = error
        if resource:
            refusal.status = 401
        return refusal

    def refuse_dpop(self, code: str, message: str, *, resource: bool) -> InvalidDPoPProofError:
        return self._dpop_refusal(DPoPError(message, code=code), resource=resource)

    def dpop(
        self,
        proofs: Sequence[str],
        *,
        htm: str,
        path: str,
        access_token: str | None = None,
        resource: bool = False,
    ) -> VerifiedDPoP | None:
        """The request's DPoP proof checked and spent, or None when it sent none."""
        if not proofs:
            return None
        if len(proofs) > 1:
            raise self.refuse_dpop(
                "dpop_multiple", "send exactly one DPoP header", resource=resource
            )
        settings = self.context.settings
        now = self.context.clock()
        nonces = settings.dpop_nonce == "required"
        try:
            verified = check_dpop_proof(
                proofs[0],
                htm=htm,
                htu=settings.public_url + path,
                now=now,
                algorithms=self.algorithms,
                max_age=settings.dpop_max_age,
                leeway=settings.dpop_leeway,
                access_token=access_token,
                nonce_keys=self.nonce_keys if nonces else None,
                nonce_lifetime=settings.dpop_nonce_lifetime,
            )
        except DPoPError as exc:
            raise self._dpop_refusal(exc, resource=resource) from exc
        window = max(settings.dpop_nonce_lifetime, settings.dpop_max_age) + 2 * settings.dpop_leeway
        if not self._spend(_key("dpop", verified.htu, verified.jti), "dpop", now + window):
            raise self.refuse_dpop(
                "dpop_jti_replayed",
                "this DPoP proof was already used; make a new one for every request",
                resource=resource,
            )
        return verified

    def _spend(self, key_hash: str, kind: str, expires_at: int) -> bool:
        now = self.context.clock()
        with self.context.session(write=True) as s:
            replays = Replays(s)
            fresh = replays.add(key_hash, kind=kind, expires_at=expires_at)
            if fresh and self.context.randbelow(64) == 0:  # housekeeping, amortised
                replays.purge(before=now)
            s.commit()
        return fresh

    def client(self, attestation: str | None, pop: str | None) -> VerifiedClientAttestation | None:
        """The wallet attestation checked (and its PoP spent), None when the policy allows
        requests without one."""
        settings = self.context.settings
        policy = settings.attestation_policy
        if policy == "off":
            return None
        if attestation is None and pop is None:
            if policy == "required":
                raise InvalidClientError(
                    "this issuer requires a wallet attestation (OAuth-Client-Attestation and "
                    "OAuth-Client-Attestation-PoP headers)",
                    code="client_attestation_missing",
                )
            return None
        if attestation is None or pop is None:
            raise InvalidClientError(
                "send both OAuth-Client-Attestation and OAuth-Client-Attestation-PoP",
                code="client_attestation_malformed",
            )
        now = self.context.clock()
        try:
            verified = verify_client_attestation(
                attestation,
                pop,
                audience=settings.public_url,
                now=now,
                anchors=self.anchors,
                jwks=self.provider_keys,
                max_age=settings.wallet_attestation_max_age,
                leeway=settings.clock_leeway,
            )
        except ClientAttestationError as exc:
            refusal = InvalidClientError(exc.message, code=exc.code)
            refusal.error = exc.oauth_error
            raise refusal from exc
        if verified.sub not in self.clients:
            raise InvalidClientError(
                f"the wallet {verified.sub!r} is not registered with this issuer",
                code="client_unknown",
            )
        expires_at = now + 300 + 2 * settings.clock_leeway
        if not self._spend(_key("pop", settings.public_url, verified.pop_jti), "pop", expires_at):
            raise InvalidClientError(
                "this attestation PoP was already used; make a new one for every request",
                code="client_attestation_pop_replayed",
            )
        log.info("wallet attestation of %s (instance %s)", verified.sub, verified.instance_jkt)
        return verified

    def invalid_token(self, message: str, *, code: str) -> InvalidTokenError:
        """A 401 for the credential endpoints, challenging for both schemes (RFC 9449 §7.2)."""
        algs = " ".join(self.algorithms)
        challenge = f'Bearer error="invalid_token", DPoP algs="{algs}"'
        return InvalidTokenError(message, code=code, challenge=challenge)
