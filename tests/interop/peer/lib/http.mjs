// Network helpers: every outgoing request has a hard timeout and never follows redirects
// (OpenID4VP §5.10 / §8.2: wallets must not follow 3xx on request_uri or response_uri; we apply
// the same rule everywhere so a misbehaving server shows up as an error, not a silent detour).

import { readFileSync } from 'node:fs'
import { createServer } from 'node:https'
import { PeerError } from './cli.mjs'

export const FETCH_TIMEOUT_MS = 5000

export function timedFetch(timeoutMs = FETCH_TIMEOUT_MS, log = null) {
  return async (input, init = {}) => {
    const signals = [AbortSignal.timeout(timeoutMs)]
    if (init.signal) signals.push(init.signal)
    const url = typeof input === 'string' ? input : input.url ?? String(input)
    try {
      const response = await fetch(input, { ...init, redirect: 'manual', signal: AbortSignal.any(signals) })
      log?.push({ method: init.method ?? 'GET', url: String(url), status: response.status })
      return response
    } catch (error) {
      log?.push({ method: init.method ?? 'GET', url: String(url), error: error.message })
      if (error.name === 'TimeoutError') {
        throw new PeerError('fetch_timeout', `${url} did not answer within ${timeoutMs} ms`)
      }
      throw new PeerError('fetch_failed', `could not fetch ${url}: ${error.cause?.message ?? error.message}`)
    }
  }
}

export async function fetchJson(fetcher, url, init = {}) {
  const response = await fetcher(url, { ...init, headers: { Accept: 'application/json', ...(init.headers ?? {}) } })
  const text = await response.text()
  if (!response.ok) throw new PeerError('fetch_http_status', `${url} answered HTTP ${response.status}`, { body: text.slice(0, 500) })
  try {
    return JSON.parse(text)
  } catch {
    throw new PeerError('fetch_invalid_json', `${url} did not answer JSON`)
  }
}

// --- a tiny HTTPS server for the peer issuer and verifier --------------------------------

export function readBody(request, limit = 1024 * 1024) {
  return new Promise((resolve, reject) => {
    const chunks = []
    let size = 0
    request.on('data', (chunk) => {
      size += chunk.length
      if (size > limit) {
        reject(new PeerError('body_too_large', 'request body too large'))
        request.destroy()
      } else chunks.push(chunk)
    })
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')))
    request.on('error', reject)
  })
}

export function parseForm(text) {
  return Object.fromEntries(new URLSearchParams(text))
}

export function send(response, status, body, headers = {}) {
  const isText = typeof body === 'string'
  response.writeHead(status, {
    'Content-Type': isText ? 'text/plain' : 'application/json',
    'Cache-Control': 'no-store',
    ...headers,
  })
  response.end(isText ? body : JSON.stringify(body))
}

// Fetch-API style headers for the @openid4vc server-side helpers (RequestLike).
export function requestLike(request, baseUrl) {
  return {
    method: request.method,
    url: new URL(request.url, baseUrl).toString(),
    headers: new Headers(Object.entries(request.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(', ') : v])),
  }
}

export function startHttpsServer({ host = '127.0.0.1', port, tls }, handler) {
  const server = createServer(
    { cert: readFileSync(tls.cert), key: readFileSync(tls.key) },
    (request, response) => {
      Promise.resolve(handler(request, response)).catch((error) => {
        if (!response.headersSent) send(response, 500, { error: 'server_error', error_description: error.message })
      })
    },
  )
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, host, () => resolve(server))
  })
}
