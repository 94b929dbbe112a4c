"""The consent screen, in plain words: who asks, why, what will be shared, what stays hidden,
and what to watch out for. Pure: values in, a :class:`ConsentSummary` out, so the command
line and the web wallet show exactly the same thing.

"Shared" is computed from the disclosures that will actually be sent, not from what the
verifier asked for: :func:`visible_claims` walks the credential the way the verifier will see
it (a claim is visible when every selectively disclosable claim above it is disclosed), so the
screen can never promise to hide something that leaves the wallet, nor list as shared
something that does not. Property tests hold it to that.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from credentials.sd_jwt import DecodedSDJWT, Disclosure
from credentials.type_metadata import TypeMetadata
from wallet.history import format_time

__all__ = [
    "COUNTRIES",
    "TECHNICAL_CLAIMS",
    "ClaimItem",
    "ConsentSummary",
    "ConsentWarning",
    "CredentialShare",
    "Verifier",
    "claim_label",
    "claim_order",
    "share_for",
    "summarize",
    "value_text",
    "visible_claims",
]

Path = tuple[str | int, ...]
# Always visible and not personal data the citizen chose: named once in the summary instead.
TECHNICAL_CLAIMS = frozenset(
    {"iss", "vct", "vct#integrity", "iat", "nbf", "exp", "cnf", "status", "_sd_alg"}
)
_AGE_WORDS = re.compile(r"\b(age|ages|aged|adult|older|minor|18|21)\b", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class ClaimItem:
    path: Path
    label: str
    value: str = ""


@dataclass(frozen=True, slots=True)
class CredentialShare:
    """One credential in the answer: what the verifier will see and what stays hidden."""

    credential_id: str
    title: str
    issuer: str
    shared: tuple[ClaimItem, ...]
    hidden: tuple[ClaimItem, ...]
    available: frozenset[str] = frozenset()  # top-level claim names the credential holds
    shown_before_to: tuple[str, ...] = ()  # other verifiers that saw the copy to be used
    # The last known status (wallet.status: valid, suspended, revoked, none; None if never
    # checked) and the time of the list that said so.
    status: str | None = None
    status_as_of: int | None = None


@dataclass(frozen=True, slots=True)
class Verifier:
    """Who asks. ``name`` is what the request says (``client_metadata.client_name``);
    ``known_as`` the citizen's own name for a verifier they saved; ``certified_as`` the
    organisation its certificate was issued to when an authority the wallet trusts
    (``certified_by``) vouches for it (``x509_san_dns:`` / ``x509_hash:`` requests);
    ``certificate_untrusted`` when it signed with a certificate no trusted authority vouches
    for."""

    client_id: str
    name: str | None
    known: bool
    known_as: str | None = None
    response_mode: str = "direct_post.jwt"
    response_uri: str = ""
    certified_as: str | None = None
    certified_by: str | None = None
    certificate_untrusted: bool = False

    @property
    def display_name(self) -> str:
        """The name to show: the citizen's own, else the one a trusted authority vouches for,
        else what the service calls itself. The identifier is a detail, never the name."""
        return self.known_as or self.certified_as or self.name or "A service that gives no name"

    @property
    def name_checked(self) -> bool:
        """Whether :attr:`display_name` comes from the citizen or a trusted authority."""
        return bool(self.known_as or self.certified_as)


@dataclass(frozen=True, slots=True)
class ConsentWarning:
    code: str
    text: str


@dataclass(frozen=True, slots=True)
class ConsentSummary:
    verifier: Verifier
    purpose: str | None
    credentials: tuple[CredentialShare, ...]
    warnings: tuple[ConsentWarning, ...]
    can_share: bool = True
    problems: tuple[str, ...] = field(default_factory=tuple)

    @property
    def who(self) -> str:
        v = self.verifier
        name = v.known_as or v.certified_as or v.name or "A verifier that gives no name"
        if v.known:
            known = "known to your wallet"
        elif v.certified_as:
            known = f"checked: certificate vouched for by {v.certified_by}"
        else:
            known = "NOT known to your wallet"
        return f"{name} ({known}; identifier {v.client_id})"

    def lines(self) -> list[str]:
        """The summary as short sentences, for a terminal or a screen reader."""
        out = [f"Who is asking: {self.who}"]
        out.append(f"Why: {self.purpose}" if self.purpose else "Why: they did not say.")
        if not self.can_share:
            out.append("Your wallet cannot answer this request:")
            out.extend(f"  - {problem}" for problem in self.problems)
            return out
        for share in self.credentials:
            out.append(f"From your {share.title} (issued by {share.issuer}):")
            out.append("  They will see:")
            out.extend(f"    - {c.label}: {c.value}" for c in share.shared)
            if not share.shared:
                out.append("    - only that you hold this credential")
            if share.hidden:
                out.append("  Stays hidden: " + ", ".join(c.label for c in share.hidden))
        out.append(
            "They will also see who issued each credential, its type, its validity dates, "
            "and a device key that proves it is on this device."
        )
        for warning in self.warnings:
            out.append(f"Warning: {warning.text}")
        return out

    def to_json(self) -> dict[str, Any]:
        def items(claims: Sequence[ClaimItem]) -> list[dict[str, Any]]:
            return [{"path": list(c.path), "label": c.label, "value": c.value} for c in claims]

        return {
            "verifier": {
                "client_id": self.verifier.client_id,
                "name": self.verifier.name,
                "known": self.verifier.known,
                "known_as": self.verifier.known_as,
                "certified_as": self.verifier.certified_as,
                "certified_by": self.verifier.certified_by,
                "certificate_untrusted": self.verifier.certificate_untrusted,
            },
            "purpose": self.purpose,
            "can_share": self.can_share,
            "problems": list(self.problems),
            "credentials": [
                {
                    "credential_id": s.credential_id,
                    "title": s.title,
                    "issuer": s.issuer,
                    "shared": items(s.shared),
                    "hidden": items(s.hidden),
                }
                for s in self.credentials
            ],
            "warnings": [{"code": w.code, "text": w.text} for w in self.warnings],
        }


# ISO 3166-1 alpha-2 codes a Bhutanese credential names most (citizenship, nationality): shown
# as the country's name, so "Citizenship: BT" reads "Citizenship: Bhutan (BT)".
COUNTRIES = {
    "BT": "Bhutan",
    "IN": "India",
    "NP": "Nepal",
    "BD": "Bangladesh",
    "CN": "China",
    "LK": "Sri Lanka",
    "MV": "Maldives",
    "PK": "Pakistan",
    "AF": "Afghanistan",
    "TH": "Thailand",
    "MM": "Myanmar",
    "JP": "Japan",
    "SG": "Singapore",
    "AU": "Australia",
    "GB": "United Kingdom",
    "US": "United States",
}
_COUNTRY_CLAIMS = frozenset({"citizenship", "nationality", "nationalities", "country"})


def value_text(value: Any, path: Path = ()) -> str:
    """A claim value in words; a country code under a country claim is its name."""
    if path and isinstance(value, str):
        named = [p for p in path if isinstance(p, str)]
        if named and named[-1] in _COUNTRY_CLAIMS and value.upper() in COUNTRIES:
            return f"{COUNTRIES[value.upper()]} ({value.upper()})"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, str):
        if value.startswith("data:image/"):
            return "(a photo)"
        text = " ".join(value.split())
        return text if len(text) <= 80 else text[:77] + "..."
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, Mapping):
        return "{" + ", ".join(str(k) for k in value) + "}"
    if isinstance(value, list):
        return f"a list of {len(value)}"
    return "-"


def claim_label(metadata: TypeMetadata, path: Path, language: str) -> str:
    # "Address › Village" and "Place of birth › Village" must not both read "Village".
    parts = [
        metadata.label(path[: i + 1], language)
        for i, step in enumerate(path)
        if isinstance(step, str)
    ]
    return " › ".join(parts) if parts else metadata.label(path, language)


def claim_order(metadata: TypeMetadata) -> Callable[[Path], tuple[int, list[str]]]:
    """Sort key: the order the type metadata lists claims in, then by name (stable screens)."""
    index: dict[str, int] = {}
    for position, claim in enumerate(metadata.claims):
        if claim.path and isinstance(claim.path[0], str):
            index.setdefault(claim.path[0], position)

    def key(path: Path) -> tuple[int, list[str]]:
        return index.get(str(path[0]), len(index)), [str(p) for p in path]

    return key


def visible_claims(
    decoded: DecodedSDJWT, chosen: Iterable[Disclosure]
) -> tuple[list[tuple[Path, Any]], list[Path]]:
    """(shared leaves with values, hidden claims) when exactly ``chosen`` is disclosed.

    A claim is visible when every selectively disclosable claim on its path is disclosed.
    Shared lists the smallest visible units: a visible claim with a hidden part somewhere below
    is opened up; one without is shared whole. Hidden lists each undisclosed claim once (its
    children stay hidden with it). Technical claims (``iss``, ``cnf``...) are left out.
    """
    sent = {d.encoded for d in chosen}
    by_path = {tuple(p): d for p, d in decoded.processed.disclosure_paths.items()}
    prefixes = {path[:i] for path in by_path for i in range(len(path))}
    shared: list[tuple[Path, Any]] = []
    hidden: list[Path] = []

    def walk(node: Any, path: Path) -> None:
        disclosure = by_path.get(path)
        if disclosure is not None and disclosure.encoded not in sent:
            hidden.append(path)
            return
        if path in prefixes and isinstance(node, dict):
            for key, child in node.items():
                walk(child, (*path, key))
        elif path in prefixes and isinstance(node, list):
            for index, child in enumerate(node):
                walk(child, (*path, index))
        else:
            shared.append((path, node))

    for name, value in decoded.claims.items():
        if name not in TECHNICAL_CLAIMS:
            walk(value, (name,))
    return shared, hidden


def share_for(
    decoded: DecodedSDJWT,
    chosen: Iterable[Disclosure],
    *,
    credential_id: str,
    title: str,
    issuer: str,
    metadata: TypeMetadata,
    language: str,
    shown_before_to: Sequence[str] = (),
    status: str | None = None,
    status_as_of: int | None = None,
) -> CredentialShare:
    shared, hidden = visible_claims(decoded, chosen)
    order = claim_order(metadata)
    shared.sort(key=lambda item: order(item[0]))
    hidden.sort(key=order)
    return CredentialShare(
        credential_id=credential_id,
        title=title,
        issuer=issuer,
        shared=tuple(
            ClaimItem(p, claim_label(metadata, p, language), value_text(v, p)) for p, v in shared
        ),
        hidden=tuple(ClaimItem(p, claim_label(metadata, p, language)) for p in hidden),
        available=frozenset(str(k) for k in decoded.claims),
        shown_before_to=tuple(shown_before_to),
        status=status,
        status_as_of=status_as_of,
    )


def _shares(share: CredentialShare, name: str) -> bool:
    return any(item.path[0] == name for item in share.shared)


def _status_warnings(verifier: Verifier, share: CredentialShare) -> list[ConsentWarning]:
    # Not a block: the last check may be old (a suspension lifted since), and it is the
    # citizen's credential; but they must not walk to a counter without knowing.
    if share.status not in ("revoked", "suspended"):
        return []
    who = verifier.known_as or verifier.name or "the verifier"
    when = f" (as of {format_time(share.status_as_of)})" if share.status_as_of else ""
    if share.status == "revoked":
        text = (
            f"The issuer has revoked your {share.title}{when}; {who} will refuse it. Ask "
            f"{share.issuer} for a new one."
        )
        return [ConsentWarning("credential_revoked", text)]
    text = (
        f"The issuer has suspended your {share.title}{when}; {who} will refuse it until the "
        f"issuer reinstates it. Check its status again, or contact {share.issuer}."
    )
    return [ConsentWarning("credential_suspended", text)]


def _warnings(
    verifier: Verifier, purpose: str | None, shares: Sequence[CredentialShare]
) -> list[ConsentWarning]:
    found: list[ConsentWarning] = []
    if verifier.certificate_untrusted:
        found.append(
            ConsentWarning(
                "unverified_certificate",
                "This service signed its request with a certificate that no authority your "
                "wallet trusts vouches for, so its name is not checked. Share only if you are "
                "sure who is asking.",
            )
        )
    if not verifier.known and not verifier.certified_as:
        found.append(
            ConsentWarning(
                "unknown_verifier",
                "Your wallet does not know this verifier. Check the name, and share only if you "
                "expected this request.",
            )
        )
    if purpose is None:
        found.append(ConsentWarning("no_purpose", "The verifier does not say why it needs this."))
    for share in shares:
        found.extend(_status_warnings(verifier, share))
        if _shares(share, "birthdate") and share.available & {"age_over_18", "age_over_21"}:
            if purpose and _AGE_WORDS.search(purpose):
                text = (
                    "They say they need to check your age, but ask for your full date of birth. "
                    "'Age over 18' would prove that without your birth date."
                )
            else:
                text = (
                    "They ask for your full date of birth. If they only need to know you are an "
                    "adult, 'Age over 18' would be enough."
                )
            found.append(ConsentWarning("more_than_needed", text))
        if _shares(share, "cid") or _shares(share, "owner_cid"):
            found.append(
                ConsentWarning(
                    "identity_number",
                    "They ask for your citizen ID number (CID), which lets organisations link "
                    "records about you. Share it only if they must know exactly who you are.",
                )
            )
        address = [i for i in share.shared if i.path[0] == "address"]
        if any(len(i.path) == 1 or i.path[1] in ("house_number", "village") for i in address):
            found.append(
                ConsentWarning(
                    "full_address",
                    "They ask for your full address. If they only need your dzongkhag, the "
                    "rest could stay hidden.",
                )
            )
        if _shares(share, "photo"):
            found.append(ConsentWarning("photo", "They ask for your photo."))
        if share.shown_before_to:
            found.append(
                ConsentWarning(
                    "linkable",
                    f"All fresh copies of your {share.title} are used up: this copy was shown "
                    "before, so those verifiers could tell it is the same person. Receive the "
                    "credential again to get fresh copies.",
                )
            )
    if len(shares) > 1:
        found.append(
            ConsentWarning("several_credentials", f"They ask for {len(shares)} credentials.")
        )
    if verifier.response_uri.startswith("http://"):
        found.append(
            ConsentWarning(
                "insecure_connection",
                "The answer would travel over an unprotected connection (a test setup). "
                "Never share real data this way.",
            )
        )
    elif verifier.response_mode == "direct_post":
        found.append(
            ConsentWarning(
                "not_encrypted",
                "The answer is protected in transit but not encrypted for this verifier alone.",
            )
        )
    return found


def summarize(
    verifier: Verifier,
    purpose: str | None,
    shares: Sequence[CredentialShare],
    *,
    problems: Sequence[str] = (),
) -> ConsentSummary:
    """The consent summary; ``problems`` (why the request cannot be answered) disable sharing."""
    if problems:
        return ConsentSummary(verifier, purpose, (), (), can_share=False, problems=tuple(problems))
    return ConsentSummary(
        verifier, purpose, tuple(shares), tuple(_warnings(verifier, purpose, shares))
    )
