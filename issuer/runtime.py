"""The issuer's one composition root: :func:`build_runtime` assembles everything from settings
(database engine and schema, key store and a first signing key, credential types, the
SSRF-guarded fetcher that resolves ``did:web`` proof keys, the OpenID4VCI flows, the status
lists and the operator services) and :meth:`Runtime.close` releases it. The API app's lifespan
(:mod:`issuer.api.app`), and through it the operator pages, and the local command line
(:mod:`issuer.commands.local`) all use it. Time and randomness are injected here.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

from sqlalchemy.exc import OperationalError

from did.fetch import Fetcher, FetchPolicy
from did.keys import ALGORITHMS
from did.resolver import Resolver
from issuer.certificates import read_anchors
from issuer.context import IssuerContext, system_clock
from issuer.discovery import Discovery
from issuer.errors import ConfigurationError
from issuer.flows import CredentialIssuance, DeferredIssuance, Notifications, PreAuthorizedFlow
from issuer.flows.access import ResourceAccess
from issuer.flows.authorization import AuthorizationFlow
from issuer.flows.fid_signin import FoundationalIdSignIn
from issuer.flows.sender import SenderConstraint, load_nonce_key
from issuer.flows.tokens import TokenFlow
from issuer.keys import SigningKeys
from issuer.oauth.clients import load_clients
from issuer.oauth.trust import load_provider_anchors, load_provider_keys
from issuer.operator import Operator
from issuer.registry import demo_businesses, demo_people
from issuer.settings import IssuerSettings
from issuer.signin.presentation import VerifierRP
from issuer.signing import KeyStore
from issuer.status import StatusLists
from issuer.storage.repos import Registry
from issuer.storage.schema import MIGRATIONS, prepare_schema
from issuer.types import load_types
from servicekit.database import create_db_engine, storage_fault

__all__ = ["Runtime", "build_runtime"]

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Runtime:
    """Everything the issuer runs on, built once."""

    context: IssuerContext
    signing: SigningKeys
    status_lists: StatusLists
    discovery: Discovery
    preauthorized: PreAuthorizedFlow
    issuance: CredentialIssuance
    deferred: DeferredIssuance
    notifications: Notifications
    operator: Operator
    fetcher: Fetcher
    sender: SenderConstraint
    authorization: AuthorizationFlow
    tokens: TokenFlow
    access: ResourceAccess
    fid_signin: FoundationalIdSignIn

    def close(self) -> None:
        self.fetcher.close()
        self.context.engine.dispose()


def _unwritable(settings: IssuerSettings, exc: BaseException) -> ConfigurationError:
    """A start-up that cannot write its data directory or database: a plain error (``drukid
    serve issuer`` prints it and exits), never a traceback."""
    fault = storage_fault(exc)
    if isinstance(exc, OSError) and fault.cause == "unreachable":
        cause = (exc.strerror or type(exc).__name__).lower()
        what_to_do = "point DRUKID_ISSUER_DATA_DIR at a directory the service may write"
    elif fault.cause == "unreachable":
        return ConfigurationError(
            f"the issuer's database cannot be opened ({type(exc).__name__}); {fault.what_to_do}",
            code="database_unavailable",
        )
    else:
        cause, what_to_do = fault.cause, fault.what_to_do
    return ConfigurationError(
        f"the issuer cannot write its data directory {settings.data_dir} ({cause}); {what_to_do}",
        code="data_dir_unwritable",
    )


def build_runtime(
    settings: IssuerSettings,
    *,
    clock: Callable[[], int] = system_clock,
    random_bytes: Callable[[int], bytes] = secrets.token_bytes,
    randbelow: Callable[[int], int] = secrets.randbelow,
) -> Runtime:
    """Build and prepare the issuer: schema created, a signing key present, the demo registry
    seeded when the settings ask for it."""
    development = settings.mode == "development"
    types = load_types(
        settings.types_dir,
        validity_days=settings.validity_days,
        key_attestation=settings.key_attestation_required,
    )
    key_attestation_anchors = read_anchors(settings.key_attestation_anchors)
    needing = sorted(t.id for t in types.values() if t.key_attestation.required)
    if needing and not key_attestation_anchors:
        raise ConfigurationError(
            f"{', '.join(needing)} require key attestations but no key_attestation_anchors are "
            "set; set DRUKID_ISSUER_KEY_ATTESTATION_ANCHORS to the wallet-provider CA files",
            code="key_attestation_anchors_missing",
        )
    try:
        engine = create_db_engine(settings.resolved_database_url)
        keys = KeyStore(settings.keys_dir)
    except OSError as exc:
        raise _unwritable(settings, exc) from exc
    context = IssuerContext(
        settings=settings,
        engine=engine,
        keys=keys,
        types=types,
        clock=clock,
        random_bytes=random_bytes,
        randbelow=randbelow,
    )
    fetcher = Fetcher(FetchPolicy(allow_http=development, allow_private=development))
    try:
        signing = SigningKeys(context)
        _prepare(context, signing)
    except BaseException as exc:
        fetcher.close()
        engine.dispose()
        if isinstance(exc, OSError | OperationalError):
            raise _unwritable(settings, exc) from exc
        raise
    # Proof kids name DIDs chosen by whoever holds an access token: a slow or dead did:web host
    # costs one fetch per 30 s, and at most 8 fetches hold a worker thread at once.
    resolver = Resolver(fetcher=fetcher, failure_ttl=30.0, max_concurrent=8)
    status_lists = StatusLists(context, signing=signing)
    sender = SenderConstraint(
        context,
        nonce_keys=[load_nonce_key(settings.keys_dir)],
        clients=load_clients(settings.wallet_clients_file, development=development),
        anchors=load_provider_anchors(settings.wallet_provider_anchor_files),
        provider_keys=load_provider_keys(settings.wallet_provider_jwks_file),
    )
    if settings.attestation_policy == "required" and not (sender.anchors or sender.provider_keys):
        log.warning(
            "wallet attestations are required but no wallet-provider anchor is configured: "
            "every PAR and token request will be refused (set DRUKID_ISSUER_WALLET_PROVIDER_"
            "ANCHOR_FILES)"
        )
    preauthorized = PreAuthorizedFlow(context)
    authorization = AuthorizationFlow(context, sender=sender)
    verifier = None
    if settings.fid_signin and settings.fid_verifier_url and settings.fid_verifier_api_key:
        verifier = VerifierRP(
            fetcher,
            url=settings.fid_verifier_url,
            api_key=settings.fid_verifier_api_key.get_secret_value(),
            template=settings.fid_template,
        )
    issuance = CredentialIssuance(
        context,
        signing=signing,
        status_lists=status_lists,
        resolve_kid=partial(resolver.resolve_key, relationship="authentication"),
        proof_algorithms=ALGORITHMS,
        key_attestation_anchors=key_attestation_anchors,
    )
    return Runtime(
        context=context,
        signing=signing,
        status_lists=status_lists,
        discovery=Discovery(
            context,
            signing=signing,
            proof_algorithms=ALGORITHMS,
            key_attestations=bool(key_attestation_anchors),
        ),
        preauthorized=preauthorized,
        issuance=issuance,
        deferred=DeferredIssuance(context, issuance=issuance),
        notifications=Notifications(context),
        operator=Operator.build(context, signing=signing),
        fetcher=fetcher,
        sender=sender,
        authorization=authorization,
        tokens=TokenFlow(context, sender=sender, preauthorized=preauthorized),
        access=ResourceAccess(context, sender=sender),
        fid_signin=FoundationalIdSignIn(context, authorization=authorization, verifier=verifier),
    )


def _prepare(context: IssuerContext, signing: SigningKeys) -> None:
    """Check or upgrade the schema, make sure a signing key exists, seed demo data when asked.
    Several workers may start at once: one does this, the others wait and then find it done."""
    settings = context.settings
    # Keys, the SQLite database and its journal hold secrets and personal data.
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    settings.data_dir.chmod(0o700)
    with MIGRATIONS.lock(context.engine):
        prepare_schema(context.engine, development=settings.mode == "development")
        signing.ensure_active()
        _seed(context)


def _seed(context: IssuerContext) -> None:
    settings = context.settings
    if settings.seed_demo:
        now = context.clock()
        with context.session(write=True) as s:
            registry = Registry(s)
            if registry.count_people() == 0:
                for person in demo_people():
                    registry.put_person(person, now=now)
                for business in demo_businesses():
                    registry.put_business(business, now=now)
                s.commit()
                log.info("seeded the registry with demo people and businesses")
