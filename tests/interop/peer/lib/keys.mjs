// Keys and the @openid4vc callback context, on jose (JWS/JWE) and node:crypto (hashes, random).

import { createHash, randomBytes, X509Certificate } from 'node:crypto'
import * as jose from 'jose'
import { clientAuthenticationAnonymous } from '@openid4vc/oauth2'
import { ES256 } from '@sd-jwt/crypto-nodejs'
import { PeerError } from './cli.mjs'
import { resolveDidUrlJwk } from './did.mjs'
import { verifyX5cChain, sanNames } from './x509.mjs'

// Asymmetric algorithms only: a MAC or 'none' never verifies a signature here.
export const SIGNING_ALGS = ['ES256', 'ES384', 'ES512', 'EdDSA', 'PS256', 'RS256']
const HASHES = { 'sha-256': 'sha256', 'sha-384': 'sha384', 'sha-512': 'sha512' }

export function hash(data, alg) {
  const name = HASHES[alg]
  if (!name) throw new PeerError('unsupported_hash', `unsupported hash algorithm ${alg}`)
  return new Uint8Array(createHash(name).update(data).digest())
}

export function publicOnly(jwk) {
  const { d, p, q, dp, dq, qi, ...rest } = jwk
  return rest
}

export async function generateKey(alg = 'ES256', crv) {
  const { privateKey } = await jose.generateKeyPair(alg, { extractable: true, ...(crv ? { crv } : {}) })
  const privateJwk = await jose.exportJWK(privateKey)
  return { alg, privateJwk, publicJwk: publicOnly(privateJwk) }
}

export function thumbprint(jwk) {
  return jose.calculateJwkThumbprint(publicOnly(jwk), 'sha256')
}

export function algOf(jwk) {
  if (jwk.alg) return jwk.alg
  if (jwk.kty === 'OKP') return 'EdDSA'
  if (jwk.kty === 'EC') return { 'P-256': 'ES256', 'P-384': 'ES384', 'P-521': 'ES512' }[jwk.crv]
  throw new PeerError('unsupported_key', `no signing algorithm for a ${jwk.kty} key`)
}

export async function signCompact(header, payload, privateJwk) {
  const key = await jose.importJWK(privateJwk, header.alg)
  return new jose.CompactSign(new TextEncoder().encode(JSON.stringify(payload))).setProtectedHeader(header).sign(key)
}

export async function verifyCompact(compact, publicJwk, alg) {
  if (!SIGNING_ALGS.includes(alg)) throw new PeerError('unsupported_alg', `algorithm ${alg} is not allowed`)
  const key = await jose.importJWK(publicOnly(publicJwk), alg)
  return jose.compactVerify(compact, key, { algorithms: [alg] })
}

// A signer for @sd-jwt (data = "<header>.<payload>", returns the base64url signature), from
// @sd-jwt/crypto-nodejs, the signer the @sd-jwt packages ship for Node.
export async function sdJwtSigner(privateJwk, alg) {
  if (alg !== 'ES256') throw new PeerError('unsupported_alg', `the peer signs SD-JWTs with ES256 only, not ${alg}`)
  return ES256.getSigner(privateJwk)
}

export async function verifySignature(data, signature, publicJwk, alg) {
  const [header, payload] = data.split('.')
  await verifyCompact(`${header}.${payload}.${signature}`, publicJwk, alg)
  return true
}

// The JwtSigner → private key lookup for signJwt.
export class KeyRing {
  constructor() {
    this.byThumbprint = new Map()
    this.byKid = new Map()
    this.byCert = new Map()
  }

  async add(privateJwk, { kid, x5c } = {}) {
    this.byThumbprint.set(await thumbprint(privateJwk), privateJwk)
    if (kid) this.byKid.set(kid, privateJwk)
    if (x5c) this.byCert.set(x5c[0], privateJwk)
    return this
  }

  async find(signer) {
    let found
    if (signer.method === 'jwk') found = this.byThumbprint.get(await thumbprint(signer.publicJwk))
    else if (signer.method === 'did') found = this.byKid.get(signer.didUrl)
    else if (signer.method === 'x5c') found = this.byCert.get(signer.x5c[0])
    if (!found) throw new PeerError('no_signing_key', `no private key for a '${signer.method}' signer`)
    return found
  }
}

// What the peer trusts when it checks a signature for the @openid4vc libraries.
//   trustedCertificates: PEM anchors for x5c chains; fetch: the timed fetch for did:web.
export function callbackContext({ keyring = new KeyRing(), fetch, trustedCertificates = [], decryptionKeys = [] } = {}) {
  return {
    fetch,
    hash,
    generateRandom: (n) => new Uint8Array(randomBytes(n)),
    clientAuthentication: clientAuthenticationAnonymous(),
    getX509CertificateMetadata: (certificate) => sanNames(new X509Certificate(Buffer.from(certificate, 'base64'))),

    async signJwt(signer, { header, payload }) {
      const privateJwk = await keyring.find(signer)
      const jwt = await signCompact({ ...header, alg: signer.alg ?? header.alg }, payload, privateJwk)
      return { jwt, signerJwk: publicOnly(privateJwk) }
    },

    async verifyJwt(signer, { header, compact }) {
      let publicJwk
      if (signer.method === 'jwk') publicJwk = signer.publicJwk
      else if (signer.method === 'did') publicJwk = await resolveDidUrlJwk(signer.didUrl, fetch)
      else if (signer.method === 'x5c') publicJwk = await verifyX5cChain(signer.x5c, trustedCertificates)
      else throw new PeerError('unsupported_signer', `cannot verify a '${signer.method}' signer`)
      await verifyCompact(compact, publicJwk, header.alg)
      return { verified: true, signerJwk: publicOnly(publicJwk) }
    },

    async encryptJwe(encryptor, data) {
      const key = await jose.importJWK(encryptor.publicJwk, encryptor.alg)
      const header = { alg: encryptor.alg, enc: encryptor.enc }
      if (encryptor.publicJwk.kid) header.kid = encryptor.publicJwk.kid
      if (encryptor.apu) header.apu = encryptor.apu
      if (encryptor.apv) header.apv = encryptor.apv
      const jwe = await new jose.CompactEncrypt(new TextEncoder().encode(data)).setProtectedHeader(header).encrypt(key)
      return { jwe, encryptionJwk: encryptor.publicJwk }
    },

    async decryptJwe(jwe, options = {}) {
      const header = jose.decodeProtectedHeader(jwe)
      const candidates = options.jwk?.kid
        ? decryptionKeys.filter((k) => k.kid === options.jwk.kid)
        : decryptionKeys.filter((k) => !header.kid || k.kid === header.kid)
      for (const privateJwk of candidates) {
        try {
          const key = await jose.importJWK(privateJwk, header.alg)
          const { plaintext } = await jose.compactDecrypt(jwe, key, {
            keyManagementAlgorithms: ['ECDH-ES'],
            contentEncryptionAlgorithms: ['A128GCM', 'A256GCM'],
          })
          return { decrypted: true, decryptionJwk: publicOnly(privateJwk), payload: new TextDecoder().decode(plaintext) }
        } catch {}
      }
      return { decrypted: false }
    },
  }
}
