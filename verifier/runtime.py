"""The verifier's one composition root: from settings, the database engine, the signing
identity, the SSRF-guarded fetcher, the key and status caches and the trust sources, and over
them the service's parts (:mod:`verifier.service`) and the webhook worker. The API app's
lifespan (and through its state the teller pages) and the command line all build it here;
:meth:`Runtime.close` releases everything."""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass

import httpx

from credentials.status_check import StatusChecker
from credentials.status_list import STATUS_LIST_MEDIA_TYPE
from did.fetch import Fetcher, FetchPolicy
from did.keys import PrivateKey
from did.methods.web import did_web_from_url
from servicekit.database import create_db_engine, storage_fault
from verifier.bundle_refresh import RefreshOutcome, refresh_bundle
from verifier.certificates import load_crls, load_request_certificate
from verifier.errors import TrustError, VerificationError
from verifier.keys import IssuerKeys
from verifier.policy import Policy
from verifier.service import (
    ApiKeyAdmin,
    Identity,
    OfflineDesk,
    PresentationRequests,
    PresentationResponses,
    PresentationResults,
    RecheckReport,
    Retention,
    ServiceConfig,
    ServiceContext,
    TrustAdmin,
    TypeMetadataCache,
    VerifierService,
)
from verifier.settings import VerifierSettings
from verifier.storage.schema import MIGRATIONS, prepare_schema
from verifier.trust_sources import TrustSources, load_authority_key
from verifier.webhooks import WebhookDispatcher

__all__ = [
    "Runtime",
    "build_runtime",
    "load_identity",
    "policy_from_settings",
    "private_data_dir",
    "trust_sources",
]

log = logging.getLogger(__name__)


def load_identity(settings: VerifierSettings, *, now: int | None = None) -> Identity:
    """The verifier's signing key (created on first use, file mode 0600) and did:web, and its
    request-signing certificate when one is configured (checked at ``now``)."""
    path = settings.signing_key_path
    if path.exists():
        key = PrivateKey.load(path)
    else:
        key = PrivateKey.generate("ES256")
        key.save(path)
        log.info("created verifier signing key %s", key.public_key.thumbprint())
    certificate = None
    if settings.x509_chain_file is not None and settings.x509_key_file is not None:
        certificate = load_request_certificate(
            settings.x509_chain_file,
            settings.x509_key_file,
            scheme=settings.client_id_scheme,
            public_url=settings.public_url,
            now=int(time.time()) if now is None else now,
        )
        log.info(
            "request-signing certificate for %s, valid until %s",
            certificate.chain.subject.words,
            certificate.chain.not_after,
        )
    return Identity(key, did_web_from_url(settings.public_url), certificate)


def policy_from_settings(settings: VerifierSettings) -> Policy:
    return Policy(
        leeway=settings.leeway_seconds,
        kb_max_age=settings.kb_max_age_seconds,
        status_policy=settings.status_policy,
    )


def trust_sources(settings: VerifierSettings) -> TrustSources:
    authority = (
        load_authority_key(settings.trust_authority_key) if settings.trust_authority_key else None
    )
    return TrustSources(
        trust_file=settings.trust_file,
        bundle_file=settings.trust_bundle,
        authority_key=authority,
        leeway=settings.leeway_seconds,
    )


def private_data_dir(settings: VerifierSettings) -> None:
    """The data directory holds the signing key, webhook secrets and (briefly) results: owner
    only. A new SQLite file is created 0600 before SQLite opens it (its -wal/-shm files follow
    the database file's mode)."""
    settings.data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    if settings.database_url is None:
        path = settings.data_dir / "verifier.db"
        if not path.exists():
            os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))


@dataclass
class Runtime:
    """Everything the verifier runs on, built once: the parts of the service over their shared
    context, the webhook worker, the fetcher they all go through, and ``service``, the teller
    pages' handle on the parts (:class:`~verifier.service.facade.VerifierService`)."""

    context: ServiceContext
    keys: IssuerKeys
    trust: TrustAdmin
    api_keys: ApiKeyAdmin
    retention: Retention
    requests: PresentationRequests
    responses: PresentationResponses
    results: PresentationResults
    type_labels: TypeMetadataCache
    webhooks: WebhookDispatcher
    fetcher: Fetcher
    service: VerifierService
    offline: OfflineDesk
    sources: TrustSources
    bundle_refresh: Callable[[], RefreshOutcome] | None = None

    def refresh_trust(self) -> tuple[RefreshOutcome | None, RecheckReport]:
        """Fetch a newer signed bundle (DRUKID_VERIFIER_TRUST_BUNDLE_URL) and then re-check
        the results accepted offline. A bundle that is not newer is no failure (the network
        is back all the same, so the re-check still runs); any other refusal raises
        :class:`~verifier.errors.TrustError` and keeps the installed bundle."""
        if self.bundle_refresh is None:
            raise TrustError(
                "set DRUKID_VERIFIER_TRUST_BUNDLE_URL and DRUKID_VERIFIER_TRUST_BUNDLE first",
                code="no_bundle_url",
            )
        outcome: RefreshOutcome | None
        try:
            outcome = self.bundle_refresh()
        except TrustError as exc:
            if exc.code != "trust_bundle_not_newer":
                raise
            outcome = None
        report = self.offline.recheck()
        self.webhooks.notify()
        return outcome, report

    def close(self) -> None:
        self.webhooks.stop()
        self.fetcher.close()
        self.context.engine.dispose()


def _unwritable(settings: VerifierSettings, exc: OSError) -> VerificationError:
    """A data directory the verifier cannot make or write: one plain start-up error."""
    fault = storage_fault(exc)
    cause = fault.cause if fault.cause != "unreachable" else (exc.strerror or "").lower()
    return VerificationError(
        f"the verifier cannot write its data directory {settings.data_dir} ({cause}); point "
        "DRUKID_VERIFIER_DATA_DIR at a directory the service may write",
        code="data_dir_unwritable",
    )


def build_runtime(
    settings: VerifierSettings,
    *,
    clock: Callable[[], int] | None = None,
    transport: httpx.BaseTransport | None = None,
    resolve_host: Callable[[str, int], list[str]] | None = None,
) -> Runtime:
    """The one composition root: the API app's lifespan and the command line build the
    verifier here. ``clock`` (UNIX seconds), ``transport`` and ``resolve_host`` replace the real
    clock and network in tests."""
    now = clock or (lambda: int(time.time()))
    sources = trust_sources(settings)
    try:
        private_data_dir(settings)
        engine = create_db_engine(settings.effective_database_url)
    except OSError as exc:
        raise _unwritable(settings, exc) from exc
    dev = settings.development
    try:
        # Several workers may start at once: one migrates and makes the signing key, the others
        # wait here and then find both.
        with MIGRATIONS.lock(engine):
            prepare_schema(engine, development=dev)
            identity = load_identity(settings, now=now())
    except BaseException as exc:
        engine.dispose()
        if isinstance(exc, OSError):
            raise _unwritable(settings, exc) from exc
        raise
    policy = FetchPolicy(timeout=settings.fetch_timeout_seconds, allow_http=dev, allow_private=dev)
    fetcher = Fetcher(policy, transport=transport, resolve_host=resolve_host)
    context = ServiceContext(
        engine=engine,
        config=ServiceConfig(
            public_url=settings.public_url,
            name=settings.name,
            policy=policy_from_settings(settings),
            client_id_scheme=settings.client_id_scheme,
            response_mode=settings.response_mode,
            request_lifetime=settings.request_lifetime_seconds,
            retention=settings.result_retention_seconds,
            unrequested_claims=settings.unrequested_claims,
            logo_uri=settings.logo_uri,
            development=dev,
            offline_request_chain=settings.offline_request_chain,
        ),
        identity=identity,
        clock=now,
    )
    keys = IssuerKeys(
        fetcher=fetcher,
        allow_http=dev,
        crls=load_crls(settings.x509_crl_files),
        accept_stale_crl=settings.x509_accept_stale_crl,
    )
    status = StatusChecker(fetch=fetcher.content_getter(accept=STATUS_LIST_MEDIA_TYPE))
    trust = TrustAdmin(context, keys=keys, file_trust=sources.registry)
    api_keys = ApiKeyAdmin(context)
    retention = Retention(context)
    webhooks = WebhookDispatcher(
        engine,
        fetcher=fetcher,
        secret_for=api_keys.webhook_secret,
        clock=now,
        max_attempts=settings.webhook_max_attempts,
        backoff=settings.webhook_backoff_seconds,
    )
    requests = PresentationRequests(context, trust=trust, retention=retention)
    responses = PresentationResponses(
        context,
        trust=trust,
        keys=keys,
        status=status,
        retention=retention,
        notify=webhooks.notify,
    )
    results = PresentationResults(context, retention=retention)
    type_labels = TypeMetadataCache(keys=keys, trust=trust.registry, clock=now)
    service = VerifierService(
        context=context,
        keys=keys,
        api_keys=api_keys,
        trust=trust,
        requests=requests,
        results=results,
        retention=retention,
        type_labels=type_labels,
    )
    refresher = None
    if settings.trust_bundle_url is not None and settings.trust_bundle is not None:
        assert sources.authority is not None  # the settings require the key with a bundle
        url, path, authority = settings.trust_bundle_url, settings.trust_bundle, sources.authority

        def refresher() -> RefreshOutcome:
            return refresh_bundle(
                url=url,
                path=path,
                authority_key=authority,
                fetch=fetcher.content_getter(accept="application/jwt"),
                now=now(),
                leeway=settings.leeway_seconds,
            )

    offline = OfflineDesk(
        context,
        bundle=sources.bundle,
        trust=trust,
        keys=keys,
        status=status,
        notify=webhooks.notify,
    )
    return Runtime(
        context=context,
        keys=keys,
        trust=trust,
        api_keys=api_keys,
        retention=retention,
        requests=requests,
        responses=responses,
        results=results,
        type_labels=type_labels,
        webhooks=webhooks,
        fetcher=fetcher,
        service=service,
        offline=offline,
        sources=sources,
        bundle_refresh=refresher,
    )
