// Peer verifier: an OpenID4VP 1.0 verifier on @openid4vc/openid4vp. It makes one DCQL request,
// serves it and its response endpoint over HTTPS on loopback, checks the presentation it gets
// (SD-JWT VC with @sd-jwt/sd-jwt-vc, KB-JWT nonce, aud and iat, the DCQL query with `dcql`) and
// prints the result.
//
// Arguments (JSON): port, tls {cert, key}, client_id_prefix: "decentralized_identifier" (signed
// JAR by reference; did_method "web" or "jwk") | "redirect_uri" (unsigned, by value, which is
// all the library makes for it) | "x509_hash" | "x509_san_dns" (signed with signing
// {chain_file, key_file}); response_mode "direct_post" | "direct_post.jwt"; dcql_query;
// trusted_certificates, allow_jwt_vc_issuer_metadata (how issuer keys are found, as in the
// wallet); registration {chain_file, key_file, purpose: [{lang, name}]} (x509 prefixes only: a
// registration certificate, JWT typ "rc-rp+jwt" signed by a registrar, sub = the distinguished
// name of the request-signing certificate, sent in verifier_info as OpenID4VP 1.0 §5.11 and
// the German EUDI architecture describe it); deadline_ms.
// Prints {"event": "ready", request (the openid4vp:// URI), client_id} and then
// {"event": "result", verified, claims | error} once a wallet has answered.

import { createPrivateKey, randomBytes } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { Oauth2ServerErrorResponseError } from '@openid4vc/oauth2'
import { Openid4vpVerifier, calculateX509HashClientIdPrefixValue } from '@openid4vc/openid4vp'
import { DcqlPresentationResult, DcqlQuery } from 'dcql'
import { PeerError, deadline, describeError, emit, readArgs } from './lib/cli.mjs'
import { didJwk, didWebFromUrl } from './lib/did.mjs'
import { parseForm, readBody, send, startHttpsServer, timedFetch } from './lib/http.mjs'
import { KeyRing, callbackContext, generateKey, hash, signCompact, verifySignature } from './lib/keys.mjs'
import { decodeJwtParts } from './lib/issuer-key.mjs'
import { issuerVerifier, sdJwtVc } from './lib/sdjwt.mjs'
import { pemCertificates } from './lib/x509.mjs'

const KB_MAX_AGE = 300
const args = readArgs()
deadline(args.deadline_ms ?? 60000, 'verifier')
const base = `https://127.0.0.1:${args.port}`
const fetch = timedFetch(5000)
const keyring = new KeyRing()
const encryptionKey = await generateKey('ECDH-ES', 'P-256')
encryptionKey.privateJwk.kid = encryptionKey.publicJwk.kid = `enc-${Buffer.from(randomBytes(6)).toString('base64url')}`
const callbacks = callbackContext({ keyring, fetch, decryptionKeys: [encryptionKey.privateJwk] })
const verifier = new Openid4vpVerifier({ callbacks })

const id = Buffer.from(randomBytes(12)).toString('base64url')
const requestUri = `${base}/request/${id}`
const responseUri = `${base}/response/${id}`
const prefix = args.client_id_prefix ?? 'decentralized_identifier'
const responseMode = args.response_mode ?? 'direct_post.jwt'

let clientId
let jwtSigner
let didDocument = null
let requestCertificate = null
if (prefix === 'decentralized_identifier') {
  const signing = await generateKey('ES256')
  let did
  let kid
  if (args.did_method === 'jwk') {
    did = didJwk(signing.publicJwk)
    kid = `${did}#0`
  } else {
    did = didWebFromUrl(base)
    kid = `${did}#key-1`
    didDocument = {
      '@context': ['https://www.w3.org/ns/did/v1', 'https://w3id.org/security/suites/jws-2020/v1'],
      id: did,
      verificationMethod: [{ id: kid, type: 'JsonWebKey2020', controller: did, publicKeyJwk: signing.publicJwk }],
      authentication: [kid],
      assertionMethod: [kid],
    }
  }
  await keyring.add(signing.privateJwk, { kid })
  clientId = `decentralized_identifier:${did}`
  jwtSigner = { method: 'did', didUrl: kid, alg: 'ES256' }
} else if (prefix === 'x509_hash' || prefix === 'x509_san_dns') {
  const privateJwk = createPrivateKey(readFileSync(args.signing.key_file)).export({ format: 'jwk' })
  const x5c = pemCertificates(readFileSync(args.signing.chain_file, 'utf8')).map((c) => c.raw.toString('base64'))
  await keyring.add(privateJwk, { x5c })
  requestCertificate = pemCertificates(readFileSync(args.signing.chain_file, 'utf8'))[0]
  clientId = prefix === 'x509_hash'
    ? `x509_hash:${await calculateX509HashClientIdPrefixValue({ x509Certificate: x5c[0], hash })}`
    : 'x509_san_dns:localhost'
  jwtSigner = { method: 'x5c', x5c, alg: 'ES256' }
} else if (prefix === 'redirect_uri') {
  clientId = `redirect_uri:${responseUri}`
} else {
  throw new PeerError('bad_arguments', `unsupported client_id_prefix ${prefix}`)
}

const nonce = Buffer.from(randomBytes(24)).toString('base64url')
const state = Buffer.from(randomBytes(24)).toString('base64url')
const clientMetadata = {
  client_name: 'Peer verifier (Credo/Animo libraries)',
  vp_formats_supported: { 'dc+sd-jwt': { 'sd-jwt_alg_values': ['ES256'], 'kb-jwt_alg_values': ['ES256'] } },
}
if (responseMode === 'direct_post.jwt') {
  clientMetadata.jwks = { keys: [{ ...encryptionKey.publicJwk, use: 'enc', alg: 'ECDH-ES' }] }
  clientMetadata.encrypted_response_enc_values_supported = ['A128GCM', 'A256GCM']
}
// RFC 4514: the relative distinguished names last to first, joined by commas.
function rfc4514(subject) {
  return subject.split('\n').filter(Boolean).reverse().join(',')
}

let verifierInfo
if (args.registration) {
  if (!requestCertificate) throw new PeerError('bad_arguments', 'a registration certificate needs an x509 client_id_prefix')
  const registrarKey = createPrivateKey(readFileSync(args.registration.key_file)).export({ format: 'jwk' })
  const registrarChain = pemCertificates(readFileSync(args.registration.chain_file, 'utf8')).map((c) => c.raw.toString('base64'))
  const now = Math.floor(Date.now() / 1000)
  const registration = await signCompact(
    { alg: 'ES256', typ: 'rc-rp+jwt', x5c: registrarChain },
    { sub: rfc4514(requestCertificate.subject), iat: now - 60, exp: now + 3600, purpose: args.registration.purpose },
    registrarKey,
  )
  verifierInfo = [{ format: 'jwt', data: registration }]
}

const dcqlQuery = DcqlQuery.parse(args.dcql_query)
DcqlQuery.validate(dcqlQuery)
const created = await verifier.createOpenId4vpAuthorizationRequest({
  authorizationRequestPayload: {
    response_type: 'vp_token',
    client_id: clientId,
    response_uri: responseUri,
    response_mode: responseMode,
    nonce,
    state,
    dcql_query: args.dcql_query,
    client_metadata: clientMetadata,
    ...(verifierInfo ? { verifier_info: verifierInfo } : {}),
  },
  jar: jwtSigner ? { requestUri, jwtSigner, expiresInSeconds: 300 } : undefined,
})
const jar = created.jar?.authorizationRequestJwt
let answered = false

async function verifyPresentation(presentation, record) {
  const instance = sdJwtVc({
    verifier: issuerVerifier(
      { fetch, trustedCertificates: args.trusted_certificates ?? [], allowJwtVcIssuerMetadata: Boolean(args.allow_jwt_vc_issuer_metadata) },
      record,
    ),
    kbVerifier: async (data, signature, payload) => {
      const jwk = payload.cnf?.jwk
      if (!jwk) throw new PeerError('no_cnf', 'the credential has no cnf.jwk to check the KB-JWT with')
      return verifySignature(data, signature, jwk, decodeJwtParts(data).header.alg)
    },
  })
  const result = await instance.verify(presentation, { keyBindingNonce: nonce })
  if (result.header?.typ !== 'dc+sd-jwt') throw new PeerError('typ_invalid', `issuer-signed JWT typ '${result.header?.typ}'`)
  // @sd-jwt checks the KB-JWT's typ, signature, sd_hash and nonce; aud and iat are left to us.
  const kb = result.kb?.payload
  if (!kb) throw new PeerError('kb_missing', 'the presentation has no KB-JWT')
  if (kb.aud !== clientId) throw new PeerError('kb_aud', `KB-JWT aud '${kb.aud}' is not the client_id '${clientId}'`)
  const now = Math.floor(Date.now() / 1000)
  if (kb.iat > now + 60 || kb.iat < now - KB_MAX_AGE) throw new PeerError('kb_iat', `KB-JWT iat ${kb.iat} is outside the accepted window`)
  return result
}

async function responseEndpoint(request, response) {
  const form = parseForm(await readBody(request))
  const requestPayload = created.authorizationRequestPayload
  const parsed = await verifier.parseOpenid4vpAuthorizationResponse({ authorizationResponse: form, authorizationRequestPayload: requestPayload, callbacks })
  verifier.validateOpenid4vpAuthorizationResponsePayload({ authorizationRequestPayload: requestPayload, authorizationResponsePayload: parsed.authorizationResponsePayload })
  if (parsed.type !== 'dcql') throw new PeerError('not_dcql', 'the response is not a DCQL vp_token')
  const record = []
  const claims = {}
  const presented = {}
  const kbs = {}
  for (const [queryId, presentations] of Object.entries(parsed.dcql.presentations)) {
    for (const presentation of presentations) {
      const result = await verifyPresentation(presentation, record)
      claims[queryId] = result.payload
      kbs[queryId] = result.kb.payload
      presented[queryId] = [{ credential_format: 'dc+sd-jwt', vct: result.payload.vct, claims: result.payload, cryptographic_holder_binding: true }]
    }
  }
  const dcqlResult = DcqlPresentationResult.fromDcqlPresentation(presented, { dcqlQuery })
  if (!dcqlResult.can_be_satisfied) throw new PeerError('dcql_unsatisfied', 'the presentations do not satisfy the DCQL query')
  return { claims, kb: kbs, key_resolution: record, jarm: parsed.jarm ? { type: parsed.jarm.type } : null }
}

async function handle(request, response) {
  const path = new URL(request.url, base).pathname
  if (request.method === 'GET' && path === '/.well-known/did.json' && didDocument) {
    return send(response, 200, didDocument, { 'Content-Type': 'application/did+json' })
  }
  if (request.method === 'GET' && path === `/request/${id}` && jar) {
    return send(response, 200, jar, { 'Content-Type': 'application/oauth-authz-req+jwt' })
  }
  if (request.method === 'POST' && path === `/response/${id}`) {
    if (answered) return send(response, 400, { error: 'invalid_request', error_description: 'this request was already answered' })
    answered = true
    try {
      const result = await responseEndpoint(request, response)
      send(response, 200, {})
      emit({ event: 'result', verified: true, ...result })
    } catch (error) {
      const body = error instanceof Oauth2ServerErrorResponseError ? error.errorResponse : { error: 'invalid_request', error_description: error.message }
      send(response, 400, body)
      emit({ event: 'result', verified: false, error: describeError(error) })
    }
    setTimeout(() => process.exit(0), 100)
    return
  }
  return send(response, 404, { error: 'not_found' })
}

try {
  await startHttpsServer({ port: args.port, tls: args.tls }, handle)
  emit({ event: 'ready', request: created.authorizationRequest, client_id: clientId, request_uri: jar ? requestUri : null, nonce })
} catch (error) {
  emit({ ok: false, error: describeError(error) })
  process.exit(1)
}
