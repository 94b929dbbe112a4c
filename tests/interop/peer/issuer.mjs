// Peer issuer: an OpenID4VCI 1.0 credential issuer (pre-authorized code, optional tx_code, nonce
// endpoint, batch issuance) on @openid4vc/openid4vci and @openid4vc/oauth2, issuing SD-JWT VCs
// with @sd-jwt/sd-jwt-vc, over HTTPS on loopback.
//
// Arguments (JSON): port, tls {cert, key} (PEM files), signer: {method: "x5c", chain_file,
// key_file} (iss = this issuer's URL, x5c = the chain) or {method: "did", did_method: "web" |
// "jwk"} (iss = the DID, kid = its key), claims, disclose (names made selectively disclosable),
// tx_code (omit for none), batch_size, deadline_ms (how long to serve).
// Prints {"event": "ready", offer_uri, tx_code, issuer, iss} and then one {"event": "issued"}
// line per credential request.

import { createPrivateKey, randomBytes } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { Oauth2AuthorizationServer, Oauth2ResourceServer, Oauth2ServerErrorResponseError, preAuthorizedCodeGrantIdentifier } from '@openid4vc/oauth2'
import { Openid4vciIssuer } from '@openid4vc/openid4vci'
import { PeerError, deadline, describeError, emit, readArgs } from './lib/cli.mjs'
import { didJwk, didWebFromUrl } from './lib/did.mjs'
import { parseForm, readBody, requestLike, send, startHttpsServer, timedFetch } from './lib/http.mjs'
import { KeyRing, callbackContext, generateKey, publicOnly, sdJwtSigner } from './lib/keys.mjs'
import { pemCertificates } from './lib/x509.mjs'
import { sdJwtVc } from './lib/sdjwt.mjs'

const CONFIGURATION_ID = 'peer-national-id'
const NONCE_LIFETIME = 300

const args = readArgs()
deadline(args.deadline_ms ?? 60000, 'issuer')
const base = `https://127.0.0.1:${args.port}`
const vct = `${base}/types/${CONFIGURATION_ID}`
const keyring = new KeyRing()
const callbacks = callbackContext({ keyring, fetch: timedFetch(5000) })
const issuer = new Openid4vciIssuer({ callbacks })
const authorizationServer = new Oauth2AuthorizationServer({ callbacks })
const resourceServer = new Oauth2ResourceServer({ callbacks })

// The key that signs access tokens (published at jwks_uri for the resource server check).
const asKey = await generateKey('ES256')
asKey.publicJwk.kid = 'as-key-1'
await keyring.add(asKey.privateJwk)

// The key that signs credentials, and how a wallet finds it.
let credentialKey
let iss
let header
let didDocument = null
if (args.signer?.method === 'x5c') {
  credentialKey = createPrivateKey(readFileSync(args.signer.key_file)).export({ format: 'jwk' })
  const chain = pemCertificates(readFileSync(args.signer.chain_file, 'utf8')).map((c) => c.raw.toString('base64'))
  iss = base
  header = { x5c: chain }
} else if (args.signer?.method === 'did') {
  credentialKey = (await generateKey('ES256')).privateJwk
  if (args.signer.did_method === 'jwk') {
    iss = didJwk(publicOnly(credentialKey))
    header = { kid: `${iss}#0` }
  } else {
    iss = didWebFromUrl(base)
    header = { kid: `${iss}#key-1` }
    didDocument = {
      '@context': ['https://www.w3.org/ns/did/v1', 'https://w3id.org/security/suites/jws-2020/v1'],
      id: iss,
      verificationMethod: [{ id: header.kid, type: 'JsonWebKey2020', controller: iss, publicKeyJwk: publicOnly(credentialKey) }],
      assertionMethod: [header.kid],
      authentication: [header.kid],
    }
  }
} else {
  throw new PeerError('bad_arguments', "signer.method must be 'x5c' or 'did'")
}
const signCredential = await sdJwtSigner(credentialKey, 'ES256')

const asMetadata = authorizationServer.createAuthorizationServerMetadata({
  issuer: base,
  token_endpoint: `${base}/token`,
  jwks_uri: `${base}/.well-known/jwks.json`,
  'pre-authorized_grant_anonymous_access_supported': true,
})
const credentialIssuer = issuer.createCredentialIssuerMetadata({
  credential_issuer: base,
  credential_endpoint: `${base}/credential`,
  nonce_endpoint: `${base}/nonce`,
  notification_endpoint: `${base}/notification`,
  batch_credential_issuance: { batch_size: args.batch_size ?? 3 },
  display: [{ name: 'Peer test issuer (Credo/Animo libraries)', locale: 'en' }],
  credential_configurations_supported: {
    [CONFIGURATION_ID]: {
      format: 'dc+sd-jwt',
      vct,
      scope: CONFIGURATION_ID,
      cryptographic_binding_methods_supported: ['jwk'],
      credential_signing_alg_values_supported: ['ES256'],
      proof_types_supported: { jwt: { proof_signing_alg_values_supported: ['ES256'] } },
      credential_metadata: { display: [{ name: 'Peer national ID', locale: 'en' }] },
    },
  },
})
const issuerMetadata = {
  credentialIssuer,
  authorizationServers: [asMetadata],
  originalDraftVersion: undefined,
  knownCredentialConfigurations: issuer.getKnownCredentialConfigurationsSupported(credentialIssuer),
}

const preAuthorizedCode = Buffer.from(randomBytes(24)).toString('base64url')
const txCode = args.tx_code ?? undefined
let codeUsed = false
const nonces = new Map()
const offerId = Buffer.from(randomBytes(12)).toString('base64url')
const { credentialOffer, credentialOfferObject } = await issuer.createCredentialOffer({
  issuerMetadata,
  credentialConfigurationIds: [CONFIGURATION_ID],
  grants: {
    [preAuthorizedCodeGrantIdentifier]: {
      'pre-authorized_code': preAuthorizedCode,
      ...(txCode ? { tx_code: { input_mode: 'numeric', length: txCode.length, description: 'The PIN the registry sent you' } } : {}),
    },
  },
  credentialOfferUri: `${base}/offers/${offerId}`,
})

const typeMetadata = {
  vct,
  name: 'Peer national ID',
  display: [{ locale: 'en', name: 'Peer national ID' }],
  claims: Object.keys(args.claims ?? {}).map((name) => ({ path: [name], display: [{ locale: 'en', label: name }] })),
}

function oauthError(response, error) {
  if (error instanceof Oauth2ServerErrorResponseError) {
    return send(response, error.status ?? 400, error.errorResponse)
  }
  return send(response, error.status ?? 400, { error: 'invalid_request', error_description: error.message })
}

async function credentialEndpoint(request, response, body) {
  const like = requestLike(request, base)
  const { tokenPayload } = await resourceServer.verifyResourceRequest({
    request: like,
    resourceServer: base,
    authorizationServers: [asMetadata],
  })
  const parsed = issuer.parseCredentialRequest({ issuerMetadata, credentialRequest: JSON.parse(body) })
  if (parsed.credentialConfigurationId !== CONFIGURATION_ID && parsed.credentialRequest?.credential_configuration_id !== CONFIGURATION_ID) {
    return send(response, 400, { error: 'unknown_credential_configuration' })
  }
  const proofs = parsed.proofs?.jwt ?? (parsed.proof?.jwt ? [parsed.proof.jwt] : [])
  if (proofs.length === 0 || proofs.length > credentialIssuer.batch_credential_issuance.batch_size) {
    return send(response, 400, { error: 'invalid_proof', error_description: `send 1 to ${credentialIssuer.batch_credential_issuance.batch_size} jwt proofs` })
  }
  const now = Math.floor(Date.now() / 1000)
  const credentials = []
  const used = []
  for (const jwt of proofs) {
    const nonce = JSON.parse(Buffer.from(jwt.split('.')[1], 'base64url').toString()).nonce
    const expiresAt = nonces.get(nonce)
    if (!expiresAt) return send(response, 400, { error: 'invalid_nonce', error_description: 'unknown or used c_nonce' })
    const { signer } = await issuer.verifyCredentialRequestJwtProof({
      issuerMetadata,
      jwt,
      expectedNonce: nonce,
      nonceExpiresAt: new Date(expiresAt * 1000),
    })
    used.push(nonce)
    const instance = sdJwtVc({ signer: signCredential, signAlg: 'ES256' })
    const credential = await instance.issue(
      { iss, vct, iat: now, exp: now + 365 * 86400, cnf: { jwk: signer.publicJwk }, ...(args.claims ?? {}) },
      { _sd: (args.disclose ?? Object.keys(args.claims ?? {})) },
      { header },
    )
    credentials.push({ credential })
  }
  for (const nonce of used) nonces.delete(nonce)
  emit({ event: 'issued', count: credentials.length, subject: tokenPayload.sub })
  return send(response, 200, issuer.createCredentialResponse({ credentialRequest: parsed, credentials, notificationId: offerId }))
}

async function handle(request, response) {
  const path = new URL(request.url, base).pathname
  const body = request.method === 'POST' ? await readBody(request) : ''
  try {
    if (request.method === 'GET' && path === '/.well-known/openid-credential-issuer') return send(response, 200, credentialIssuer)
    if (request.method === 'GET' && path === '/.well-known/oauth-authorization-server') return send(response, 200, asMetadata)
    if (request.method === 'GET' && path === '/.well-known/jwks.json') return send(response, 200, { keys: [{ ...asKey.publicJwk, use: 'sig', alg: 'ES256' }] })
    if (request.method === 'GET' && path === '/.well-known/did.json' && didDocument) return send(response, 200, didDocument, { 'Content-Type': 'application/did+json' })
    if (request.method === 'GET' && path === `/offers/${offerId}`) return send(response, 200, credentialOfferObject)
    if (request.method === 'GET' && path === `/types/${CONFIGURATION_ID}`) return send(response, 200, typeMetadata)
    if (request.method === 'POST' && path === '/token') {
      const like = requestLike(request, base)
      const { grant, accessTokenRequest } = authorizationServer.parseAccessTokenRequest({ request: like, accessTokenRequest: parseForm(body) })
      if (grant.grantType !== preAuthorizedCodeGrantIdentifier) return send(response, 400, { error: 'unsupported_grant_type' })
      if (codeUsed) return send(response, 400, { error: 'invalid_grant', error_description: 'pre-authorized_code already used' })
      await authorizationServer.verifyPreAuthorizedCodeAccessTokenRequest({
        grant, accessTokenRequest, request: like, authorizationServerMetadata: asMetadata,
        expectedPreAuthorizedCode: preAuthorizedCode, expectedTxCode: txCode,
      })
      codeUsed = true
      const token = await authorizationServer.createAccessTokenResponse({
        authorizationServer: base, audience: base, subject: offerId, expiresInSeconds: 300,
        signer: { method: 'jwk', publicJwk: asKey.publicJwk, alg: 'ES256' },
      })
      return send(response, 200, token)
    }
    if (request.method === 'POST' && path === '/nonce') {
      const nonce = Buffer.from(randomBytes(24)).toString('base64url')
      nonces.set(nonce, Math.floor(Date.now() / 1000) + NONCE_LIFETIME)
      return send(response, 200, issuer.createNonceResponse({ cNonce: nonce, cNonceExpiresIn: NONCE_LIFETIME }))
    }
    if (request.method === 'POST' && path === '/credential') return await credentialEndpoint(request, response, body)
    if (request.method === 'POST' && path === '/notification') {
      emit({ event: 'notification', body: JSON.parse(body) })
      response.writeHead(204).end()
      return
    }
    return send(response, 404, { error: 'not_found' })
  } catch (error) {
    emit({ event: 'error', path, error: describeError(error) })
    return oauthError(response, error)
  }
}

try {
  await startHttpsServer({ port: args.port, tls: args.tls }, handle)
  emit({ event: 'ready', issuer: base, iss, offer_uri: credentialOffer, tx_code: txCode ?? null, vct, configuration_id: CONFIGURATION_ID })
} catch (error) {
  emit({ ok: false, error: describeError(error) })
  process.exit(1)
}
