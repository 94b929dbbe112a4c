// Peer wallet, receive: OpenID4VCI 1.0 pre-authorized code flow with @openid4vc/openid4vci,
// then verification of every credential with @sd-jwt/sd-jwt-vc.
//
// Arguments (JSON): offer (openid-credential-offer:// URI), tx_code, batch (how many copies to
// ask for when the issuer offers batch issuance; default 2), trusted_certificates (PEM texts for
// x5c), allow_jwt_vc_issuer_metadata, load_type_metadata, allow_insecure_urls, deadline_ms.
// Result: credentials [{configuration_id, credential, holder_key (private JWK)}], claims,
// key_resolution, http (every request made). A credential that fails verification makes the
// program fail (a wallet refuses it) with the received data in error.details.received.

import { Openid4vciClient, setGlobalConfig } from '@openid4vc/openid4vci'
import { PeerError, describeError, runCli } from './lib/cli.mjs'
import { timedFetch } from './lib/http.mjs'
import { KeyRing, callbackContext, generateKey, publicOnly } from './lib/keys.mjs'
import { verifyIssuedCredential } from './lib/sdjwt.mjs'

runCli('wallet-receive', async (args) => {
  if (!args.offer) throw new PeerError('bad_arguments', 'offer is required')
  setGlobalConfig({ allowInsecureUrls: Boolean(args.allow_insecure_urls) })
  const http = []
  const fetch = timedFetch(5000, http)
  const keyring = new KeyRing()
  const callbacks = callbackContext({ keyring, fetch })
  const client = new Openid4vciClient({ callbacks })

  const offer = await client.resolveCredentialOffer(args.offer)
  const issuerMetadata = await client.resolveIssuerMetadata(offer.credential_issuer)
  const { accessTokenResponse } = await client.retrievePreAuthorizedCodeAccessTokenFromOffer({
    credentialOffer: offer,
    issuerMetadata,
    txCode: args.tx_code ?? undefined,
  })
  const batchSize = issuerMetadata.credentialIssuer.batch_credential_issuance?.batch_size ?? 1
  const copies = Math.max(1, Math.min(batchSize, args.batch ?? 2))

  const received = []
  const notifications = []
  for (const configurationId of offer.credential_configuration_ids) {
    const { c_nonce: nonce } = await client.requestNonce({ issuerMetadata })
    const keys = await Promise.all(Array.from({ length: copies }, () => generateKey('ES256')))
    const proofs = []
    for (const key of keys) {
      await keyring.add(key.privateJwk)
      const { jwt } = await client.createCredentialRequestJwtProof({
        issuerMetadata,
        credentialConfigurationId: configurationId,
        signer: { method: 'jwk', publicJwk: key.publicJwk, alg: 'ES256' },
        nonce,
      })
      proofs.push(jwt)
    }
    const { credentialResponse } = await client.retrieveCredentials({
      issuerMetadata,
      accessToken: accessTokenResponse.access_token,
      credentialConfigurationId: configurationId,
      proofs: { jwt: proofs },
    })
    const credentials = (credentialResponse.credentials ?? []).map((c) => c.credential)
    if (credentials.length !== keys.length) {
      throw new PeerError('credential_count', `asked for ${keys.length} copies, got ${credentials.length}`)
    }
    credentials.forEach((credential, i) =>
      received.push({ configuration_id: configurationId, credential, holder_key: keys[i].privateJwk, notification_id: credentialResponse.notification_id }),
    )
  }

  const trust = {
    fetch,
    trustedCertificates: args.trusted_certificates ?? [],
    allowJwtVcIssuerMetadata: Boolean(args.allow_jwt_vc_issuer_metadata),
    loadTypeMetadata: Boolean(args.load_type_metadata),
  }
  const verified = []
  try {
    for (const item of received) {
      const configuration = issuerMetadata.credentialIssuer.credential_configurations_supported[item.configuration_id]
      const result = await verifyIssuedCredential(item.credential, trust)
      if (configuration?.vct && result.claims.vct !== configuration.vct) {
        throw new PeerError('vct_mismatch', `credential vct ${result.claims.vct} is not the offered ${configuration.vct}`)
      }
      const cnf = result.claims.cnf?.jwk
      if (!cnf || cnf.x !== item.holder_key.x || cnf.y !== item.holder_key.y) {
        throw new PeerError('holder_binding', 'the credential is not bound to the key the wallet proved')
      }
      verified.push(result)
    }
  } catch (error) {
    await notify(client, issuerMetadata, accessTokenResponse, received, 'credential_failure', notifications)
    throw new PeerError('credential_refused', `the wallet refuses the credential: ${error.message}`, {
      reason: describeError(error),
      received: received.map(({ notification_id, ...rest }) => rest),
      issuer: offer.credential_issuer,
      http,
    })
  }
  await notify(client, issuerMetadata, accessTokenResponse, received, 'credential_accepted', notifications)
  return {
    issuer: offer.credential_issuer,
    credentials: received.map(({ notification_id, ...rest }) => ({ ...rest, holder_public_key: publicOnly(rest.holder_key) })),
    claims: verified.map((v) => v.claims),
    key_resolution: verified.flatMap((v) => v.key_resolution),
    statuses: verified.map((v) => v.status ?? null),
    type_metadata: verified[0]?.type_metadata ?? null,
    notifications,
    http,
  }
})

async function notify(client, issuerMetadata, token, received, event, log) {
  if (!issuerMetadata.credentialIssuer.notification_endpoint) return
  for (const id of new Set(received.map((r) => r.notification_id).filter(Boolean))) {
    try {
      await client.sendNotification({
        issuerMetadata,
        accessToken: token.access_token,
        notification: { notificationId: id, event },
      })
      log.push({ event, ok: true })
    } catch (error) {
      log.push({ event, ok: false, error: error.message })
    }
  }
}
