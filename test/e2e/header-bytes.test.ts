/**
 * Request headers holding bytes outside ASCII, sent over a raw socket to `npm start` (fetch and
 * Headers in JS refuse to send most of them, and would send `é` as the one latin-1 byte 0xE9).
 * What the runtime does with each kind of byte, measured here:
 *  - valid UTF-8 (`c3 a9`) reaches the worker decoded, as the one character `é`;
 *  - a byte that is not part of valid UTF-8 (latin-1 `e9`, `e8`, `ff`, a cut-off `c3`) reaches it
 *    as U+FFFD, the original byte gone, so `Jos\xe9` and `Jos\xe8` read the same
 *    (https://github.com/cloudflare/workerd/issues/6927);
 *  - the control characters 0x01 and 0x7f reach it as they are; NUL, a bare CR and an obs-fold
 *    line are refused by the runtime's HTTP parser (400 text/plain) before the worker runs.
 * So the worker refuses what it cannot tell apart or should not store: an `X-Rerank-User` holding
 * U+FFFD or a control character is a 400 naming the header (two units must never become one),
 * and a preflight's `Access-Control-Request-Headers`, which it echoes, must be a list of header
 * names. Every response head here is checked to be plain visible ASCII.
 *
 * One `npm start` for the file, in a throwaway project copy (its own D1 state), with an API key.
 */
import { rmSync } from 'node:fs'
import { connect } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { projectCopy, serve, type Served } from './serve'

const KEY = 'rk_header-bytes-key'
/** sha256 of KEY (`npm run hash-key -- rk_header-bytes-key`). */
const KEY_HASH = 'sha256:bd4812567a711df82598ac6d4e1c021867d6634fc41c2c3c8f8c9e9394506f15'
const EXPERIMENT = 'header-bytes'

interface RawAnswer {
  status: number
  /** The response head as bytes (status line and header lines, without the blank line). */
  head: Buffer
  headers: Map<string, string>
  body: string
}

/**
 * Sends `first` (the request line and the header lines a case writes itself, as raw bytes, without
 * the last CRLF), then the framing and `body`, and reads the whole answer.
 */
function request(first: Buffer, body = ''): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const socket = connect(s.port, '127.0.0.1')
    const chunks: Buffer[] = []
    socket.on('data', (d: Buffer) => chunks.push(d))
    socket.once('error', reject)
    socket.once('close', () => {
      const all = Buffer.concat(chunks)
      const end = all.indexOf('\r\n\r\n')
      if (end < 0) return reject(new Error(`no response head: ${JSON.stringify(all.toString('latin1'))}`))
      const head = all.subarray(0, end)
      const [statusLine = '', ...rest] = head.toString('latin1').split('\r\n')
      const headers = new Map<string, string>()
      for (const l of rest) headers.set(l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim())
      resolve({ status: Number(statusLine.split(' ')[1]), head, headers, body: all.subarray(end + 4).toString('utf8') })
    })
    const payload = Buffer.from(body, 'utf8')
    socket.write(Buffer.concat([first, Buffer.from(`\r\nContent-Length: ${payload.length}\r\nConnection: close\r\n\r\n`), payload]))
  })
}

/** A request with the key and a JSON content type, plus `lines` (raw header lines without CRLF). */
function send(method: string, path: string, lines: Buffer[], body = ''): Promise<RawAnswer> {
  const start = Buffer.from(`${method} ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${KEY}\r\nContent-Type: application/json`)
  return request(Buffer.concat([start, ...lines.map((l) => Buffer.concat([Buffer.from('\r\n'), l]))]), body)
}

/** A header line `name: <value bytes>`. */
const line = (name: string, value: Buffer): Buffer => Buffer.concat([Buffer.from(`${name}: `), value])
const bytes = (...b: Array<number | string>): Buffer => Buffer.concat(b.map((x) => (typeof x === 'string' ? Buffer.from(x, 'utf8') : Buffer.from([x]))))

/** The kinds of bytes a header value is tried with. */
const UTF8_E_ACUTE = bytes('Jos', 0xc3, 0xa9) // "José" in UTF-8
const UTF8_E_GRAVE = bytes('Jos', 0xc3, 0xa8) // "Josè" in UTF-8
const LATIN1_E_ACUTE = bytes('Jos', 0xe9) // "José" in latin-1 (what fetch sends for "José")
const LATIN1_E_GRAVE = bytes('Jos', 0xe8)
const INVALID_FF = bytes('Jos', 0xff)
const CUT_OFF_UTF8 = bytes('Jos', 0xc3, '(')
const LITERAL_FFFD = bytes('Jos', 0xef, 0xbf, 0xbd) // U+FFFD itself, validly encoded
const CTL_01 = bytes('Jos', 0x01)
const CTL_7F = bytes('Jos', 0x7f)
const NOT_UTF8 = { LATIN1_E_ACUTE, LATIN1_E_GRAVE, INVALID_FF, CUT_OFF_UTF8, LITERAL_FFFD }
const CONTROLS = { CTL_01, CTL_7F }
const EVERY_KIND = { UTF8_E_ACUTE, ...NOT_UTF8, ...CONTROLS }

/** A response head a strict client can read: visible ASCII, SP and HTAB, lines split by CRLF. */
function expectCleanHead(a: RawAnswer): void {
  for (const l of a.head.toString('latin1').split('\r\n')) expect(l, JSON.stringify(l)).toMatch(/^[\x20-\x7e\t]*$/u)
}

interface WireError {
  error: { code: string; message: string; field?: string }
}

interface RerankAnswer {
  id: string
  meta: { experiment?: { in_experiment: boolean; reason: string } }
}

let dir: string
let s: Served

beforeAll(async () => {
  dir = await projectCopy('')
  const keys = [{ id: 'hb', hash: KEY_HASH, tenant: 'bytes', scopes: ['rerank', 'experiments', 'feedback'] }]
  s = await serve({ API_KEYS: JSON.stringify(keys) }, 90_000, dir)
  const auth = { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' }
  const variants = [
    { key: 'control', weight: 0.5, instruction: 'Prefer short answers' },
    { key: 'long', weight: 0.5, instruction: 'Prefer long answers' },
  ]
  const created = await fetch(`${s.url}/v1/experiments`, { method: 'POST', headers: auth, body: JSON.stringify({ id: EXPERIMENT, name: 'header bytes', variants }) })
  expect(created.status).toBe(201)
  const started = await fetch(`${s.url}/v1/experiments/${EXPERIMENT}`, { method: 'PATCH', headers: auth, body: '{"status":"running"}' })
  expect(started.status).toBe(200)
})

afterAll(async () => {
  await s?.stop()
  if (dir) rmSync(dir, { recursive: true, force: true })
})

const RERANK = JSON.stringify({ query: 'capital of France', documents: ['Paris is the capital of France.', 'Bananas.'] })
const IN_EXPERIMENT = JSON.stringify({ query: 'capital of France', documents: ['Paris is the capital of France.', 'Bananas.'], experiment: EXPERIMENT })

/** The worker's access-log line for one request id. */
async function accessLine(requestId: string): Promise<{ status: number; error_code: string | null }> {
  const deadline = Date.now() + 10_000
  for (;;) {
    for (const l of s.output().split('\n')) {
      if (!l.startsWith('{') || !l.includes(requestId)) continue
      const json = JSON.parse(l) as { msg: string; request_id: string; status: number; error_code: string | null }
      if (json.msg === 'request' && json.request_id === requestId) return json
    }
    if (Date.now() > deadline) throw new Error(`no access-log line for ${requestId}:\n${s.output()}`)
    await new Promise((r) => setTimeout(r, 100))
  }
}

describe('X-Rerank-User (the experiment unit id)', () => {
  it('refuses a value with bytes that are not UTF-8 (they arrive as U+FFFD) or U+FFFD itself: 400 naming the header', async () => {
    for (const [kind, value] of Object.entries(NOT_UTF8)) {
      const a = await send('POST', '/v1/rerank', [line('X-Rerank-User', value)], IN_EXPERIMENT)
      expectCleanHead(a)
      expect(a.status, kind).toBe(400)
      const json = JSON.parse(a.body) as WireError
      expect(json.error.field, kind).toBe('X-Rerank-User')
      expect(json.error.message, kind).toMatch(/^X-Rerank-User: .*UTF-8/u)
      const logged = await accessLine(a.headers.get('x-request-id') ?? '')
      expect(logged, kind).toMatchObject({ status: 400, error_code: 'invalid_request' })
    }
  })

  it('refuses control characters (RFC 9110 §5.5 field values have none): 400 naming the header', async () => {
    for (const [kind, value] of Object.entries(CONTROLS)) {
      const a = await send('POST', '/v1/rerank', [line('X-Rerank-User', value)], IN_EXPERIMENT)
      expectCleanHead(a)
      expect(a.status, kind).toBe(400)
      const json = JSON.parse(a.body) as WireError
      expect(json.error.field, kind).toBe('X-Rerank-User')
      expect(json.error.message, kind).toMatch(/control character/u)
    }
  })

  it('takes valid UTF-8: José and Josè are two units, and only they reached D1 (the report counts them)', async () => {
    for (const value of [UTF8_E_ACUTE, UTF8_E_GRAVE]) {
      const a = await send('POST', '/v1/rerank', [line('X-Rerank-User', value)], IN_EXPERIMENT)
      expectCleanHead(a)
      expect(a.status).toBe(200)
      expect((JSON.parse(a.body) as RerankAnswer).meta.experiment).toMatchObject({ in_experiment: true, reason: 'assigned' })
    }
    // Exposures are written after the response (waitUntil): wait for the two, then check that the
    // refused calls above added none and the two names stayed two units.
    const deadline = Date.now() + 10_000
    let totals = { exposures: 0, units: 0 }
    while (totals.exposures < 2 && Date.now() < deadline) {
      const report = await fetch(`${s.url}/v1/experiments/${EXPERIMENT}/report`, { headers: { authorization: `Bearer ${KEY}` } })
      totals = ((await report.json()) as { totals: typeof totals }).totals
      if (totals.exposures < 2) await new Promise((r) => setTimeout(r, 100))
    }
    expect(totals).toEqual({ exposures: 2, units: 2 })
  })
})

describe('X-Request-Id (the caller\'s correlation id)', () => {
  it('is echoed as X-Client-Request-Id only when it is a sane ASCII token; any other is ignored, never echoed', async () => {
    const sane = await send('POST', '/v1/rerank', [line('X-Request-Id', bytes('caller-1'))], RERANK)
    expect(sane.status).toBe(200)
    expect(sane.headers.get('x-client-request-id')).toBe('caller-1')
    for (const [kind, value] of Object.entries(EVERY_KIND)) {
      const a = await send('POST', '/v1/rerank', [line('X-Request-Id', value)], RERANK)
      expectCleanHead(a)
      expect(a.status, kind).toBe(200)
      expect(a.headers.has('x-client-request-id'), kind).toBe(false)
      expect(a.headers.get('x-request-id'), kind).toBe((JSON.parse(a.body) as RerankAnswer).id)
    }
  })
})

describe('X-Cache-Namespace (part of the cache scope)', () => {
  it('refuses anything outside its ASCII alphabet, so no two namespaces can read the same', async () => {
    for (const [kind, value] of Object.entries(EVERY_KIND)) {
      const a = await send('POST', '/v1/rerank', [line('X-Cache-Namespace', value)], RERANK)
      expectCleanHead(a)
      expect(a.status, kind).toBe(400)
      expect((JSON.parse(a.body) as WireError).error.field, kind).toBe('X-Cache-Namespace')
    }
  })
})

describe('Authorization and X-API-Key', () => {
  it('a key with bytes outside ASCII is malformed: 401 invalid_token, never a 500 or a match', async () => {
    for (const [kind, value] of Object.entries({ LATIN1_E_ACUTE, INVALID_FF, UTF8_E_ACUTE, CTL_01 })) {
      // The right key with the bytes appended (8 failures in all: under the failed-auth lockout's 20).
      const viaBearer = await request(Buffer.concat([Buffer.from(`POST /v1/rerank HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${KEY}`), value]), RERANK)
      expect(viaBearer.status, kind).toBe(401)
      expect(viaBearer.headers.get('www-authenticate'), kind).toContain('error="invalid_token"')
      const viaKey = await request(Buffer.concat([Buffer.from(`POST /v1/rerank HTTP/1.1\r\nHost: 127.0.0.1\r\nX-API-Key: ${KEY}`), value]), RERANK)
      expect(viaKey.status, kind).toBe(401)
      expect((JSON.parse(viaKey.body) as WireError).error.message, kind).toBe('X-API-Key: expected 1-512 visible ASCII characters')
      expectCleanHead(viaBearer)
      expectCleanHead(viaKey)
    }
  })
})

describe('headers read but never echoed or keyed: Cache-Control, Pragma, Content-Type, Origin', () => {
  it('any bytes there still rank (an unknown cache directive is ignored, RFC 9111 §5.2) and leave the response head clean', async () => {
    for (const name of ['Cache-Control', 'Pragma', 'Origin']) {
      for (const [kind, value] of Object.entries(EVERY_KIND)) {
        const a = await send('POST', '/v1/rerank', [line(name, value)], RERANK)
        expectCleanHead(a)
        expect(a.status, `${name} ${kind}`).toBe(200)
        expect(a.headers.get('access-control-allow-origin'), `${name} ${kind}`).toBe('*')
      }
    }
    // Content-Type: the body is read as JSON whatever it says (lib/read-json-body.ts).
    for (const [kind, value] of Object.entries(EVERY_KIND)) {
      const raw = Buffer.concat([Buffer.from(`POST /v1/rerank HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${KEY}\r\nContent-Type: application/`), value])
      const a = await request(raw, RERANK)
      expectCleanHead(a)
      expect(a.status, `Content-Type ${kind}: ${a.body}`).toBe(200)
    }
  })
})

describe('a preflight\'s Access-Control-Request-Headers (echoed as Access-Control-Allow-Headers)', () => {
  const preflight = (value: Buffer) =>
    send('OPTIONS', '/v1/rerank', [line('Origin', bytes('https://search.example')), line('Access-Control-Request-Method', bytes('POST')), line('Access-Control-Request-Headers', value)])

  it('echoes a list of header names', async () => {
    const a = await preflight(bytes('authorization, content-type,x-rerank-user'))
    expectCleanHead(a)
    expect(a.status).toBe(204)
    expect(a.headers.get('access-control-allow-headers')).toBe('authorization, content-type,x-rerank-user')
  })

  it('refuses anything else with a 400 naming the header, rather than echo it into the response head', async () => {
    for (const [kind, value] of Object.entries({ ...EVERY_KIND, SPACE_IN_NAME: bytes('x rerank') })) {
      const a = await preflight(value)
      expectCleanHead(a)
      expect(a.status, kind).toBe(400)
      expect(a.headers.has('access-control-allow-headers'), kind).toBe(false)
      expect(a.headers.get('access-control-allow-origin'), kind).toBe('*')
      expect((JSON.parse(a.body) as WireError).error.field, kind).toBe('Access-Control-Request-Headers')
    }
  })
})

describe('bytes the runtime refuses before the worker runs', () => {
  it('NUL, a bare CR and an obs-fold continuation line: 400 from the runtime\'s HTTP parser, no access-log line', async () => {
    const before = s.output().split('\n').filter((l) => l.includes('"msg":"request"')).length
    for (const value of [bytes('A', 0x00, 'B'), bytes('A\rB'), bytes('A\r\n B')]) {
      const a = await send('POST', '/v1/rerank', [line('X-Rerank-User', value)], IN_EXPERIMENT)
      expect(a.status, JSON.stringify(value.toString('latin1'))).toBe(400)
      expect(a.body).toMatch(/invalid HTTP header/u)
    }
    expect(s.output().split('\n').filter((l) => l.includes('"msg":"request"')).length).toBe(before)
  })

  it('logged no error (no 500 anywhere above) and still serves', async () => {
    expect(s.output()).not.toMatch(/"level":"error"/u)
    const a = await send('POST', '/v1/rerank', [], RERANK)
    expect(a.status).toBe(200)
  })
})
