"""Digital Credentials Query Language (OpenID4VP 1.0 §6 and §7), for wallets and verifiers.

* Wallet side: :func:`match_credential` and :func:`evaluate` apply §6.4 to stored credentials:
  a credential matches a Credential Query when its format and ``vct`` fit (B.3.5), it has
  holder binding if required (§6.1, B.3), and it can disclose the requested claims: all of
  ``claims``, or the first satisfiable option of ``claim_sets`` (§6.4.1). ``values`` restrict
  what counts as present (§6.3). Credential Sets then pick which queries to answer (§6.4.2).
* Verifier side: :func:`verify_dcql_response` re-checks a ``vp_token`` against the query,
  because the verifier "MUST NOT rely on the Wallet to enforce these constraints" (§6.5);
  :func:`requested_claims` then keeps only what the query asked for (data minimisation: a
  wallet that discloses more must not hand the extra claims to the relying party).

Only ``dc+sd-jwt`` is matched; queries for other formats parse but never match.
``trusted_authorities`` (§6.1.1) are parsed and carried: judging them needs the issuer's
certificate chain, which the caller's trust layer checks.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from credentials._dcql_query import (
    SD_JWT_VC_FORMAT,
    ClaimsQuery,
    CredentialQuery,
    CredentialSetQuery,
    DCQLQuery,
)
from credentials.claim_path import ConcretePath, render_path, select
from credentials.errors import DCQLError

__all__ = [
    "SD_JWT_VC_FORMAT",
    "Candidate",
    "ClaimsQuery",
    "CredentialMatch",
    "CredentialQuery",
    "CredentialSetQuery",
    "DCQLQuery",
    "DCQLResult",
    "evaluate",
    "match_credential",
    "requested_claims",
    "select_claims",
    "verify_dcql_response",
]


@dataclass(frozen=True, slots=True)
class Candidate:
    """A credential as DCQL sees it. ``claims`` is the fully decoded payload: on the wallet
    everything the holder could disclose, on the verifier what was actually disclosed."""

    ref: Any
    format: str
    vct: str
    claims: Mapping[str, Any]
    holder_binding: bool = True


@dataclass(frozen=True, slots=True)
class CredentialMatch:
    """A candidate that satisfies a Credential Query, and the concrete claim paths to disclose
    (``null`` wildcards expanded against the candidate; empty when no claim is requested)."""

    query_id: str
    candidate: Candidate
    claim_paths: tuple[ConcretePath, ...]


@dataclass(frozen=True, slots=True)
class DCQLResult:
    """Outcome of :func:`evaluate`. ``selection`` lists the credential query ids to present
    (empty unless ``satisfied``); ``unsatisfied_reasons`` explains a failure in plain words."""

    matches: Mapping[str, tuple[CredentialMatch, ...]]
    satisfied: bool
    selection: tuple[str, ...]
    unsatisfied_reasons: tuple[str, ...] = ()


def select_claims(
    path: Sequence[str | int | None], claims: Mapping[str, Any]
) -> list[tuple[ConcretePath, Any]]:
    """§7.1.1 claims path pointer processing: each selected (concrete path, value), in order.

    A string selects an object key, ``null`` every element of an array, an integer one index.
    A missing element, or a processing error (a key into a non-object, an index into a
    non-array), yields no match: an empty list.
    """
    return select(path, claims)


def _claim_paths(claim: ClaimsQuery, claims: Mapping[str, Any]) -> tuple[ConcretePath, ...]:
    # A claim whose value is outside ``values`` is treated as absent (§6.4.1).
    return tuple(where for where, value in select(claim.path, claims) if claim.accepts(value))


def _has_plain(claim: ClaimsQuery, claims: Mapping[str, Any]) -> bool:
    # The §7.1.1 walk for a path of object keys only: the hot loop of wallet matching. JSON
    # values other than objects raise TypeError on a string key, which §7.1.1 calls an error.
    node: Any = claims
    try:
        for key in claim.path:
            node = node[key]
    except (KeyError, TypeError, IndexError):
        return False
    accepted = claim._accepted
    return accepted is None or (isinstance(node, str | int) and (type(node), node) in accepted)


def _of_type(query: CredentialQuery, candidate: Candidate) -> bool:
    if candidate.format != query.format or query.format != SD_JWT_VC_FORMAT:
        return False
    return query._vct_set is None or candidate.vct in query._vct_set


def match_credential(query: CredentialQuery, candidate: Candidate) -> CredentialMatch | None:
    """The match of ``candidate`` for ``query`` (§6.4.1), or ``None`` when it cannot answer."""
    if not _of_type(query, candidate):
        return None
    if query.require_cryptographic_holder_binding and not candidate.holder_binding:
        return None
    if not query.claims:  # only the claims that are always disclosed (§6.4.1, first rule)
        return CredentialMatch(query.id, candidate, ())
    claims = candidate.claims
    for option, plain_paths in zip(query._options, query._option_paths, strict=True):
        if plain_paths is not None:
            for claim in option:
                if not _has_plain(claim, claims):
                    break
            else:
                return CredentialMatch(query.id, candidate, plain_paths)
            continue
        found: list[ConcretePath] = []
        for claim in option:
            paths = _claim_paths(claim, claims)
            if not paths:
                break
            found.extend(paths)
        else:
            return CredentialMatch(query.id, candidate, tuple(dict.fromkeys(found)))
    return None


def _type_text(query: CredentialQuery) -> str:
    if query.format != SD_JWT_VC_FORMAT:
        return f"in the format {query.format!r}, which this wallet does not support"
    types = query.vct_values or ()
    if len(types) == 1:
        return f"of type {types[0]!r}"
    return "of any of the types " + ", ".join(repr(vct) for vct in types)


def _claim_problem(claim: ClaimsQuery, claims: Mapping[str, Any]) -> str | None:
    if _claim_paths(claim, claims):
        return None
    name = render_path(claim.path)
    if select(claim.path, claims):
        return f"its {name!r} does not have one of the requested values"
    return f"it has no {name!r}"


def _explain(query: CredentialQuery, candidates: Sequence[Candidate]) -> str:
    """Why no candidate answers ``query``, for people (the wallet's screen, the verifier's log)."""
    typed = [candidate for candidate in candidates if _of_type(query, candidate)]
    if not typed:
        return f"no credential {_type_text(query)}"
    bound = [candidate for candidate in typed if candidate.holder_binding]
    if query.require_cryptographic_holder_binding and not bound:
        return (
            f"the credential {_type_text(query)} is not bound to a key on this device, "
            "and the verifier requires that"
        )
    claims = (bound or typed)[0].claims
    options = query._options
    problems = [p for p in (_claim_problem(c, claims) for c in options[0]) if p is not None]
    prefix = (
        "none of the requested combinations of claims is available: " if len(options) > 1 else ""
    )
    return f"the credential {_type_text(query)} cannot be used: {prefix}{'; '.join(problems)}"


def evaluate(query: DCQLQuery, candidates: Sequence[Candidate]) -> DCQLResult:
    """Match every Credential Query against ``candidates`` and apply §6.4.2.

    Without ``credential_sets`` every Credential Query is required. With them, each set is
    answered by its first option whose queries all have a match; a required set without one
    makes the whole query unsatisfied, and then nothing may be returned.
    """
    matches = {
        credential.id: tuple(
            match for candidate in candidates if (match := match_credential(credential, candidate))
        )
        for credential in query.credentials
    }
    reasons: list[str] = []
    if query.credential_sets is None:
        selection = [credential.id for credential in query.credentials]
        for credential in query.credentials:
            if not matches[credential.id]:
                reasons.append(_explain(credential, candidates))
    else:
        selection = []
        for credential_set in query.credential_sets:
            option = next((o for o in credential_set.options if all(matches[i] for i in o)), None)
            if option is not None:
                selection.extend(i for i in option if i not in selection)
            elif credential_set.required:
                if len(credential_set.options) > 1:
                    reasons.append("none of the accepted alternatives can be presented")
                missing = dict.fromkeys(
                    i for o in credential_set.options for i in o if not matches[i]
                )
                reasons.extend(_explain(query._by_id[i], candidates) for i in missing)
    satisfied = not reasons
    return DCQLResult(matches, satisfied, tuple(selection) if satisfied else (), tuple(reasons))


def _reject(code: str, message: str) -> DCQLError:
    return DCQLError(message, code=code)


def _first_failure(
    option: Sequence[ClaimsQuery], claims: Mapping[str, Any], enforce_values: bool
) -> tuple[ClaimsQuery, bool] | None:
    """The first claim of ``option`` that was not disclosed, and whether only its value is off."""
    for claim in option:
        selected = select(claim.path, claims)
        if not selected:
            return claim, False
        if enforce_values and not any(claim.accepts(value) for _, value in selected):
            return claim, True
    return None


def _verify_claims(query: CredentialQuery, candidate: Candidate, enforce_values: bool) -> None:
    if not query.claims:
        return
    options = query._options
    failures: list[tuple[ClaimsQuery, bool]] = []
    for option in options:
        failure = _first_failure(option, candidate.claims, enforce_values)
        if failure is None:
            return
        failures.append(failure)
    claim, value_problem = failures[0]  # the verifier's preferred option explains best
    which = "no requested combination of claims was disclosed; " if len(options) > 1 else ""
    if value_problem:
        raise _reject(
            "dcql_value_mismatch",
            f"{which}credential query {query.id!r}: claim {render_path(claim.path)!r} "
            "does not have one of the requested values",
        )
    raise _reject(
        "dcql_claim_missing",
        f"{which}credential query {query.id!r}: claim {render_path(claim.path)!r} "
        "was not disclosed",
    )


def _verify_presentation(
    query: CredentialQuery, candidate: Candidate, enforce_values: bool
) -> None:
    if query.format != SD_JWT_VC_FORMAT or candidate.format != query.format:
        raise _reject(
            "dcql_format_mismatch",
            f"credential query {query.id!r} asked for {query.format!r}; "
            f"the presentation is {candidate.format!r} (only dc+sd-jwt can be checked)",
        )
    if query._vct_set is not None and candidate.vct not in query._vct_set:
        raise _reject(
            "dcql_vct_mismatch",
            f"credential query {query.id!r}: type {candidate.vct!r} was not requested",
        )
    if query.require_cryptographic_holder_binding and not candidate.holder_binding:
        raise _reject(
            "dcql_holder_binding_missing",
            f"credential query {query.id!r} requires proof of holder binding (a KB-JWT)",
        )
    _verify_claims(query, candidate, enforce_values)


def verify_dcql_response(
    query: DCQLQuery,
    presented: Mapping[str, Sequence[Candidate]],
    *,
    enforce_values: bool = True,
) -> None:
    """Check a verified ``vp_token`` against the query it answers; raise :class:`DCQLError`.

    ``presented`` maps each credential query id to the *verified* credentials sent for it,
    ``claims`` being what was actually disclosed. §6.4.1 makes ``values`` best effort for the
    wallet; ``enforce_values`` (default on) makes the verifier insist on them anyway.
    """
    for query_id, credentials in presented.items():
        credential_query = query.query(query_id)
        if credential_query is None:
            raise _reject(
                "dcql_unknown_credential_id",
                f"the response answers {query_id!r}, which the query did not ask for",
            )
        if not credentials:
            raise _reject(
                "dcql_empty_presentation", f"the response has no presentation for {query_id!r}"
            )
        if len(credentials) > 1 and not credential_query.multiple:
            raise _reject(
                "dcql_multiple_not_allowed",
                f"the response has {len(credentials)} presentations for {query_id!r}; "
                "the query allows one",
            )
        for candidate in credentials:
            _verify_presentation(credential_query, candidate, enforce_values)
    answered = set(presented)
    if query.credential_sets is None:
        missing = [c.id for c in query.credentials if c.id not in answered]
        if missing:
            raise _reject(
                "dcql_unsatisfied", f"the response has no presentation for {missing[0]!r}"
            )
        return
    for credential_set in query.credential_sets:
        if credential_set.required and not any(
            answered.issuperset(option) for option in credential_set.options
        ):
            wanted = " or ".join("+".join(option) for option in credential_set.options)
            raise _reject(
                "dcql_unsatisfied", f"the response answers none of the required options {wanted}"
            )


def _keep(kept: dict[str, Any], source: Mapping[str, Any], path: ConcretePath) -> None:
    # Copy the value at ``path`` into ``kept``, creating the objects on the way. At the first
    # array index the whole array is kept (a partial array would renumber its elements).
    key = path[0]
    assert isinstance(key, str)
    value = source[key]
    if len(path) == 1 or not isinstance(path[1], str) or not isinstance(value, Mapping):
        kept[key] = value
        return
    current = kept.get(key)
    if current is value:  # already kept whole
        return
    if current is None:
        current = kept[key] = {}
    _keep(current, value, path[1:])


def _dropped(original: Mapping[str, Any], kept: Mapping[str, Any], prefix: str) -> list[str]:
    out: list[str] = []
    for key, value in original.items():
        where = f"{prefix}/{key.replace('~', '~0').replace('/', '~1')}"
        if key not in kept:
            out.append(where)
        elif kept[key] is not value and isinstance(value, Mapping):
            out.extend(_dropped(value, kept[key], where))
    return out


def requested_claims(
    query: CredentialQuery, claims: Mapping[str, Any]
) -> tuple[dict[str, Any], tuple[str, ...]]:
    """The part of a verified credential's ``claims`` that ``query`` asked for, and the claim
    paths (``/name``, ``/address/locality``) of everything else, which the caller drops or
    refuses. A claim counts as requested when any of the query's claims paths (in any
    ``claim_sets`` option) selects it; a query with no ``claims`` asks for none (§6.4.1: only
    what is always disclosed, which a verifier reports in its own fields)."""
    kept: dict[str, Any] = {}
    for claim in query.claims or ():
        for where, _value in select(claim.path, claims):
            _keep(kept, claims, where)
    return kept, tuple(sorted(_dropped(claims, kept, "")))
