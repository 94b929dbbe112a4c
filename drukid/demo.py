"""``drukid demo``: the journey a newcomer sees first.

Until the services exist, the demo runs the credential core in one process: a civil registry
issues a Foundational ID as an SD-JWT VC, the citizen presents only name and age-over-18 with key
binding, and a bank verifies it — printing each step in plain words.
"""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.console import Console
from rich.panel import Panel

from credentials.clock import system_time
from credentials.sd_jwt import decode_sd_jwt, present_sd_jwt
from credentials.sd_jwt_vc import issue_sd_jwt_vc, verify_sd_jwt_vc
from did.keys import PrivateKey

__all__ = ["demo_command", "run_core_demo"]

DEMO_VCT = "https://demo.drukid.bt/credentials/foundational-id"
DEMO_ISSUER = "https://registry.demo.drukid.bt"
DEMO_CITIZEN = {
    "cid": "11512003456",
    "given_name": "Karma",
    "family_name": "Wangmo",
    "full_name": "Karma Wangmo",
    "birthdate": "1994-03-12",
    "gender": "female",
    "place_of_birth": {"dzongkhag": "Paro", "gewog": "Lungnyi", "village": "Bondey"},
    "citizenship": "BT",
    "age_over_18": True,
    "age_over_21": True,
}


def run_core_demo(console: Console) -> bool:
    """Issue → present → verify in-process. Returns True when the bank accepted."""
    now = system_time()
    registry_key = PrivateKey.generate("ES256")
    citizen_key = PrivateKey.generate("ES256")
    console.print(Panel.fit("1. The civil registry issues a Foundational ID", style="bold"))
    sd_paths = [f"/{name}" for name in DEMO_CITIZEN if name != "citizenship"]
    sd_paths += ["/place_of_birth/dzongkhag", "/place_of_birth/gewog", "/place_of_birth/village"]
    credential = issue_sd_jwt_vc(
        DEMO_CITIZEN,
        registry_key,
        iss=DEMO_ISSUER,
        vct=DEMO_VCT,
        iat=now,
        exp=now + 5 * 365 * 86400,
        sd_paths=sd_paths,
        holder_key=citizen_key.public_key,
        decoys=4,
    )
    hidden = decode_sd_jwt(credential).selectively_disclosable
    console.print(
        f"   signed with ES256 key {registry_key.public_key.thumbprint()[:12]}…, "
        f"{len(credential.disclosures)} claims each sealed in its own disclosure "
        f"({len(hidden)} the citizen may keep hidden)"
    )
    console.print(Panel.fit("2. A bank asks for name and 'over 18' (not the birth date)"))
    nonce, bank = "demo-nonce-7f3a", "decentralized_identifier:did:web:bank.demo.drukid.bt"
    console.print(f"   verifier: {bank}\n   nonce:    {nonce}")
    console.print(Panel.fit("3. The citizen's wallet presents only those claims"))
    presentation = present_sd_jwt(
        credential,
        disclose=["/full_name", "/age_over_18"],
        holder_key=citizen_key,
        nonce=nonce,
        aud=bank,
        iat=now,
    )
    console.print(
        f"   shared: full_name, age_over_18 — {len(presentation.disclosures)} of "
        f"{len(credential.disclosures)} disclosures; birth date, CID and the rest stay hidden"
    )
    console.print(Panel.fit("4. The bank verifies signature, disclosures, key binding and time"))
    result = verify_sd_jwt_vc(
        presentation.serialize(),
        issuer_key=registry_key.public_key,
        now=now,
        require_key_binding=True,
        nonce=nonce,
        aud=bank,
        vct_values=[DEMO_VCT],
    )
    shown = {k: v for k, v in result.claims.items() if k not in ("cnf",)}
    console.print(json.dumps(shown, indent=2, ensure_ascii=False))
    accepted = "birthdate" not in result.claims and result.claims.get("age_over_18") is True
    verdict = "[green]ACCEPTED[/green]" if accepted else "[red]REJECTED[/red]"
    console.print(f"   {verdict}: issued by {result.iss}, type {result.vct}")
    return accepted


def demo_command(
    once: Annotated[bool, typer.Option("--once", help="exit after the journey")] = False,
) -> None:
    """Walk the whole journey: issue, present, verify."""
    console = Console()
    if not run_core_demo(console):
        raise typer.Exit(1)
