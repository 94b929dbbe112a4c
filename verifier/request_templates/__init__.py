"""Presentation request templates: the requests a bank or agency makes most, as data files.

Each ``<id>.json`` names credential *type ids* (docs/dev/contracts.md: ``foundational-id``,
``permanent-address``, ``business-licence``) and claims paths; :func:`template_to_dcql` turns
it into an OpenID4VP DCQL query (§6) by resolving each type id to the ``vct`` values of the
issuers the trust registry trusts for it. Each template has a plain-language default purpose
for the consent screen. The ids (``kyc-basic``, ``age-over-18``, ...) are what the
relying-party API's ``template`` field and ``GET /api/v1/templates`` name. (Request templates,
not page templates: the teller pages' Jinja templates live in ``verifier/web/templates/``.)
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from functools import cache
from importlib import resources
from typing import Any

from core.encoding import parse_json
from credentials.dcql import DCQLQuery
from credentials.errors import DCQLError
from verifier.errors import ServiceError
from verifier.policy import Policy
from verifier.trust import TrustRegistry

__all__ = [
    "DEFAULT_BUNDLE_MAX_AGE",
    "DEFAULT_STATUS_MAX_AGE",
    "Template",
    "freshness_policy",
    "load_templates",
    "template_to_dcql",
]


# Freshness when a template says nothing: status lists at most a day old, bundles a week.
DEFAULT_STATUS_MAX_AGE = 24 * 3600
DEFAULT_BUNDLE_MAX_AGE = 7 * 24 * 3600


@dataclass(frozen=True, slots=True)
class Template:
    """A request template. ``status_max_age`` / ``bundle_max_age`` (seconds): how old the
    status list and the trust bundle behind a "valid" answer may be (its ``freshness``)."""

    id: str
    title: str
    purpose: str
    credentials: tuple[Mapping[str, Any], ...]
    status_max_age: int = DEFAULT_STATUS_MAX_AGE
    bundle_max_age: int = DEFAULT_BUNDLE_MAX_AGE

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "purpose": self.purpose,
            "credentials": [dict(item) for item in self.credentials],
            "freshness": {
                "status_max_age_seconds": self.status_max_age,
                "bundle_max_age_seconds": self.bundle_max_age,
            },
        }


@cache
def load_templates() -> dict[str, Template]:
    """Every bundled template, by id."""
    found: dict[str, Template] = {}
    for item in sorted(resources.files(__name__).iterdir(), key=lambda p: p.name):
        if not item.name.endswith(".json"):
            continue
        data = parse_json(item.read_bytes())
        freshness = data.get("freshness", {})
        template = Template(
            data["id"],
            data["title"],
            data["purpose"],
            tuple(data["credentials"]),
            status_max_age=freshness.get("status_max_age_seconds", DEFAULT_STATUS_MAX_AGE),
            bundle_max_age=freshness.get("bundle_max_age_seconds", DEFAULT_BUNDLE_MAX_AGE),
        )
        found[template.id] = template
    return found


def template_to_dcql(template: Template, trust: TrustRegistry) -> dict[str, Any]:
    """The DCQL query for ``template`` with ``vct_values`` from the trust registry."""
    credentials = []
    for item in template.credentials:
        vcts = trust.vcts_for_type(item["type"])
        if not vcts:
            raise ServiceError(
                f"no trusted issuer issues {item['type']!r} credentials; add one to the trust "
                "registry first (drukid verifier trust add)",
                code="no_trusted_issuer_for_type",
                status=409,
            )
        credentials.append(
            {
                "id": item["id"],
                "format": "dc+sd-jwt",
                "meta": {"vct_values": list(vcts)},
                "claims": [dict(claim) for claim in item["claims"]],
            }
        )
    query = {"credentials": credentials}
    try:
        DCQLQuery.from_json(query)
    except DCQLError as exc:  # a broken template file is a bug, not bad input
        raise RuntimeError(f"template {template.id} is not valid DCQL: {exc}") from exc
    return query


def freshness_policy(policy: Policy, template_id: str | None) -> Policy:
    """``policy`` with the status-list age limit of the template (the default without one)."""
    template = load_templates().get(template_id) if template_id else None
    limit = template.status_max_age if template else DEFAULT_STATUS_MAX_AGE
    if policy.status_max_age is not None and policy.status_max_age <= limit:
        return policy
    return replace(policy, status_max_age=limit)
