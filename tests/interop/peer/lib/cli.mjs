// The command-line contract shared by every peer program:
//   node <program>.mjs '<json arguments>'     (or '-' / nothing: the JSON is read from stdin)
// One JSON object on stdout: {"ok": true, ...} and exit 0, or {"ok": false, "error": {...}} and
// exit 1. Long-running servers print one {"event": "ready", ...} line first, then one final
// result line. A hard deadline (args.deadline_ms, default 20 s) ends every program.

import { readFileSync } from 'node:fs'

export class PeerError extends Error {
  constructor(code, message, details) {
    super(message)
    this.name = 'PeerError'
    this.code = code
    this.details = details
  }
}

export function readArgs() {
  const raw = process.argv[2] && process.argv[2] !== '-' ? process.argv[2] : readFileSync(0, 'utf8')
  try {
    return raw.trim() ? JSON.parse(raw) : {}
  } catch (error) {
    fail({ code: 'bad_arguments', message: `arguments are not JSON: ${error.message}` })
  }
}

export function emit(object) {
  process.stdout.write(`${JSON.stringify(object)}\n`)
}

// Everything a caller needs to recognise a refusal: the library's class and message, the OAuth
// error object when there is one, and the chain of causes (the libraries wrap a lot).
export function describeError(error) {
  if (!(error instanceof Error)) return { name: typeof error, message: String(error) }
  const out = { name: error.constructor?.name ?? error.name, message: error.message }
  if (error.code !== undefined) out.code = error.code
  if (error.details !== undefined) out.details = error.details
  if (error.errorResponse) out.error_response = error.errorResponse
  if (error.internalMessage) out.internal_message = error.internalMessage
  if (error.response?.status) out.http_status = error.response.status
  if (error.responseText !== undefined) out.response_text = String(error.responseText).slice(0, 2000)
  if (error.cause) out.cause = describeError(error.cause)
  return out
}

function fail(error, status = 1) {
  emit({ ok: false, error })
  process.exit(status)
}

export function deadline(ms, what) {
  const timer = setTimeout(() => {
    fail({ code: 'deadline', message: `${what} did not finish within ${ms} ms` }, 2)
  }, ms)
  timer.unref()
  return timer
}

export async function runCli(what, main) {
  const args = readArgs()
  deadline(args.deadline_ms ?? 20000, what)
  try {
    const result = await main(args)
    emit({ ok: true, ...result })
    process.exit(0)
  } catch (error) {
    fail(describeError(error))
  }
}
