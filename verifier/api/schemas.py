"""Wire models of the relying-party API (pydantic)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["AddIssuerBody", "CreateRequestBody"]


class CreateRequestBody(BaseModel):
    """``POST /api/v1/requests``: a template id or a raw DCQL query, and a purpose."""

    model_config = ConfigDict(extra="forbid")

    template: str | None = Field(default=None, max_length=64)
    dcql_query: dict[str, Any] | None = None
    purpose: str | None = Field(default=None, min_length=1, max_length=500)
    response_mode: Literal["direct_post", "direct_post.jwt"] | None = None
    same_device: bool = False
    redirect_uri: str | None = Field(default=None, max_length=2000)
    # Where the same-device redirect carries the response_code: the fragment (default: never
    # sent to a server, for relying parties whose return page reads it in the browser) or the
    # query (for a server-side return page that uses no script; keep it out of access logs).
    response_code_in: Literal["fragment", "query"] = "fragment"
    webhook_url: str | None = Field(default=None, max_length=2000)


class AddIssuerBody(BaseModel):
    """``POST /api/v1/trust/issuers``: discover from ``url``, or record ``entry`` as given."""

    model_config = ConfigDict(extra="forbid")

    url: str | None = Field(default=None, max_length=2000)
    pin_keys: bool = False
    name: str | None = Field(default=None, max_length=200)
    entry: dict[str, Any] | None = None
