/**
 * A request body cut off mid-stream, sent over a real socket to `npm start`: the client declares
 * more bytes than it sends (or never sends a chunked body's last chunk) and then resets or
 * half-closes the connection. workerd rejects the worker's read with `Error: Network connection
 * lost.`; the worker must answer that as a 400 naming the body (lib/read-json-body.ts), not log it
 * as a bug and answer 500. A client that reset the connection reads no answer, so the worker's
 * access-log line is what is checked; a body that arrives whole but holds cut-off JSON is answered.
 *
 * When to cut: only once the worker is reading the body. Cut earlier, and the dev server in front
 * of it (wrangler's ProxyWorker) fails the request itself, before the worker ever sees it. The
 * worker counts a rerank call's body bytes from before it reads them until it answers
 * (lib/inflight-bytes.ts); with MAX_INFLIGHT_BODY_BYTES at its minimum, a second call of more than
 * that many bytes is refused 503 `overloaded` exactly while another call is held, and let in when
 * it is alone. So the test sends its cut-off call, asks with such a probe until it is refused (the
 * cut-off call is inside the worker), and only then cuts.
 *
 * On a half-close the client itself reads a 500 `text/plain` from miniflare's entry worker, which
 * `wrangler dev` puts in front of the worker (its own forwarding of the body fails too); that
 * answer is the local dev server's, not this worker's, and is not asserted on.
 */
import { connect, type Socket } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { serve, type Served } from './serve'

interface AccessLine {
  msg: string
  method: string
  path: string
  status: number
  error_code: string | null
}

/** The access-log lines `npm start` printed so far (one JSON object per line). */
function accessLines(out: string): AccessLine[] {
  const lines: AccessLine[] = []
  for (const line of out.split('\n')) {
    if (!line.startsWith('{')) continue
    try {
      const json = JSON.parse(line) as AccessLine
      if (json.msg === 'request') lines.push(json)
    } catch {
      /* not a log line */
    }
  }
  return lines
}

/** The worker's `POST path` access-log lines so far. */
function postsTo(s: Served, path: string): AccessLine[] {
  return accessLines(s.output()).filter((l) => l.method === 'POST' && l.path === path)
}

/** Waits until the worker logged a `POST path` request after the first `seen`, and returns it. */
async function nextPost(s: Served, path: string, seen: number): Promise<AccessLine> {
  const deadline = Date.now() + 20_000
  for (;;) {
    const line = postsTo(s, path)[seen]
    if (line) return line
    if (Date.now() > deadline) throw new Error(`no access-log line for POST ${path}:\n${s.output()}`)
    await new Promise((r) => setTimeout(r, 100))
  }
}

function open(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => resolve(socket))
    socket.once('error', reject)
  })
}

/** Sends `head` + `body`, then reads until the server closes (or `ms` pass) and returns what came. */
async function exchange(port: number, raw: string, ms = 20_000): Promise<string> {
  const socket = await open(port)
  let got = ''
  socket.on('data', (d: Buffer) => (got += d.toString('utf8')))
  socket.write(raw)
  await new Promise<void>((resolve) => {
    const timer = setTimeout(() => {
      socket.destroy()
      resolve()
    }, ms)
    socket.once('close', () => {
      clearTimeout(timer)
      resolve()
    })
  })
  return got
}

/** A valid rerank body of more than MAX_INFLIGHT_BODY_BYTES (1024 here). */
const PROBE = JSON.stringify({ query: 'probe', documents: ['x'.repeat(1200)] })

/** Whether a probe is refused 503 `overloaded` (another rerank call holds its body bytes). */
async function probeRefused(s: Served): Promise<boolean> {
  const res = await fetch(`${s.url}/rerank`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: PROBE })
  const json = (await res.json()) as { error?: { code: string } }
  if (res.status === 503 && json.error?.code === 'overloaded') return true
  expect(res.status).toBe(200)
  return false
}

/**
 * Opens a connection, sends `raw` (a request whose body is not all there) and returns the socket
 * once the worker holds that call. A call that arrived while a probe was in flight is itself
 * refused 503 at once (it answers on the socket): then it is sent again.
 */
async function callHeldByWorker(s: Served, raw: string): Promise<Socket> {
  const deadline = Date.now() + 30_000
  for (;;) {
    const socket = await open(s.port)
    let answered = false
    socket.on('error', () => undefined)
    socket.on('data', () => (answered = true))
    socket.write(raw)
    while (!answered && Date.now() < deadline) {
      if (await probeRefused(s)) {
        if (!answered) return socket
        break
      }
      await new Promise((r) => setTimeout(r, 50))
    }
    socket.destroy()
    if (Date.now() > deadline) throw new Error(`the cut-off call never reached the worker:\n${s.output()}`)
  }
}

const PARTIAL = '{"query":"capital of France","documents":["Paris is the cap'

function head(path: string, framing: string): string {
  return `POST ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n${framing}\r\n`
}

describe('a request body cut off mid-stream (npm start, raw socket)', () => {
  let s: Served
  beforeAll(async () => {
    s = await serve({ MAX_INFLIGHT_BODY_BYTES: '1024' })
  })
  afterAll(async () => {
    await s?.stop()
  })

  it('Content-Length larger than what arrives, then the client resets: 400 naming the body, not a 500', async () => {
    const seen = postsTo(s, '/v1/rerank').length
    const socket = await callHeldByWorker(s, head('/v1/rerank', 'Content-Length: 1000\r\n') + PARTIAL)
    socket.resetAndDestroy()
    const line = await nextPost(s, '/v1/rerank', seen)
    expect(line.status).toBe(400)
    expect(line.error_code).toBe('invalid_request')
  })

  it('a chunked body whose last chunk never comes, then the client half-closes: 400, not a 500', async () => {
    const seen = postsTo(s, '/v2/rerank').length
    // A chunk that announces 0x100 bytes and carries fewer, then FIN.
    const socket = await callHeldByWorker(s, `${head('/v2/rerank', 'Transfer-Encoding: chunked\r\n')}100\r\n${PARTIAL}`)
    socket.end()
    const line = await nextPost(s, '/v2/rerank', seen)
    expect(line.status).toBe(400)
    expect(line.error_code).toBe('invalid_request')
    socket.destroy()
  })

  it('a whole body holding cut-off JSON: 400 invalid_json as JSON, naming the body', async () => {
    const got = await exchange(s.port, `${head('/v1/rerank', `Content-Length: ${PARTIAL.length}\r\nConnection: close\r\n`)}${PARTIAL}`)
    const end = got.indexOf('\r\n\r\n')
    const responseHead = got.slice(0, end)
    expect(responseHead.split('\r\n')[0]).toBe('HTTP/1.1 400 Bad Request')
    expect(responseHead.toLowerCase()).toContain('content-type: application/json')
    const body = JSON.parse(got.slice(end + 4)) as { error: { code: string; field: string; message: string } }
    expect(body.error.code).toBe('invalid_json')
    expect(body.error.field).toBe('body')
    expect(body.error.message).toMatch(/^body: not valid JSON/u)
  })

  it('logged no error and still serves', async () => {
    // The worker's own error lines are JSON with "level":"error" (app.ts onError); wrangler's
    // ProxyWorker prints its own, unstructured, for the connections cut above.
    expect(s.output()).not.toMatch(/"level":"error"/u)
    const res = await fetch(`${s.url}/v1/rerank`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: 'capital of France', documents: ['Paris is the capital of France.', 'Bananas.'] }),
    })
    expect(res.status).toBe(200)
    const json = (await res.json()) as { results: Array<{ index: number }> }
    expect(json.results[0]?.index).toBe(0)
  })
})
