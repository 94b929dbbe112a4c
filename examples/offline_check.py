"""Verify a citizen's presentation with no network at all, from a signed trust bundle.

A verifier in an office with no connection keeps a trust bundle (made by the trust authority
with `drukid verifier trust export-bundle`): the trusted issuers, their public keys and their
signed status lists. This script checks the bundle against the authority's pinned public key,
then checks the presentation (signature, disclosures, holder proof for this nonce and audience,
validity, revocation) against it. Nothing is fetched: no key and status resolvers are given to
verify_presentation, so it cannot go online.

Exit codes: 0 verified, 1 refused (the plain reason is printed), 2 bad usage or unreadable files.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from verifier import (
    Policy,
    VerificationError,
    load_authority_key,
    verify_presentation,
    verify_trust_bundle,
)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--bundle", type=Path, required=True, help="the signed trust bundle file")
    parser.add_argument(
        "--authority-key",
        required=True,
        help="the trust authority's PUBLIC key (a JWK file, or the JWK JSON itself)",
    )
    parser.add_argument(
        "--presentation",
        type=Path,
        required=True,
        help="a file holding the presentation (SD-JWT with key binding, '<jwt>~...~<kb-jwt>')",
    )
    parser.add_argument(
        "--nonce",
        required=True,
        help="the nonce of the request it answers (write --nonce=N when N starts with '-')",
    )
    parser.add_argument(
        "--aud", required=True, help="this verifier's client_id (the holder proof's audience)"
    )
    return parser.parse_args(argv)


def when(seconds: int | None) -> str:
    if seconds is None:
        return "unknown"
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%d %H:%M UTC")


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        bundle = args.bundle.read_text(encoding="utf-8")
        presentation = args.presentation.read_text(encoding="utf-8").strip()
        authority = load_authority_key(args.authority_key)  # a public JWK, pinned
    except (OSError, UnicodeDecodeError) as exc:
        print(f"error: cannot read a file: {exc}", file=sys.stderr)
        return 2
    except VerificationError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return 2
    now = int(time.time())
    try:
        # 1. The bundle: genuine (signed by the pinned authority key) and not expired.
        trust = verify_trust_bundle(bundle, authority, now=now)
        # 2. The presentation, against the bundle only. The default policy is strict: holder
        #    proof required, and a credential whose status list is not in the bundle is refused
        #    (Policy(status_policy="accept_unknown") would accept it, flagged "status unknown").
        result = verify_presentation(
            presentation, policy=Policy(), trust=trust, nonce=args.nonce, aud=args.aud, now=now
        )
    except VerificationError as exc:
        print(f"Not accepted: {exc.explanation}")
        print(f"  ({exc.code}: {exc.message})")
        return 1
    print(f"Verified offline: a credential from {result.issuer_name} ({result.issuer})")
    print(f"  status: {result.status} (status list as of {when(result.status_checked_at)})")
    print(f"  trust data valid as of {when(result.trust_valid_as_of)}")
    for name, value in result.to_json()["claims"].items():
        print(f"  {name}: {json.dumps(value, ensure_ascii=False)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
