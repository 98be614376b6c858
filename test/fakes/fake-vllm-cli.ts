/**
 * Runs the fake vLLM server on its own, for manual runs and for the load suite (which starts it
 * as a child process so that killing it is a real process death: refused connections, reset
 * sockets).
 *
 *   npx tsx test/fakes/fake-vllm-cli.ts --port 8000 --ms-per-token 0.02 --ms-per-request 5 --concurrency 8
 *
 * Options: --port N (0 = any free port), --host H (default 127.0.0.1), --ms-per-token X,
 * --ms-per-request X, --concurrency N (the "GPU"'s parallel slots), --record (keep every request
 * for `/__requests`; off by default here), and for the default instance (paths without `/i/<name>`):
 * --mode M, --delay-ms N, --api-key K, --served-model NAME, --max-model-len N.
 * Prints one JSON line `{"url": "...", "pid": N}` on stdout once listening; SIGTERM/SIGINT close it.
 * Misbehaviour can be changed while it runs: `POST /__control {"mode":"error503"}`; counters at
 * `GET /__stats`.
 */
import { parseArgs } from 'node:util'
import { FAKE_MODES, startFakeVllm, type FakeControl } from './fake-vllm'

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '8000' },
    host: { type: 'string', default: '127.0.0.1' },
    'ms-per-token': { type: 'string', default: '0' },
    'ms-per-request': { type: 'string', default: '0' },
    concurrency: { type: 'string' },
    record: { type: 'boolean', default: false },
    mode: { type: 'string' },
    'delay-ms': { type: 'string' },
    'api-key': { type: 'string' },
    'served-model': { type: 'string' },
    'max-model-len': { type: 'string' },
    help: { type: 'boolean', short: 'h', default: false },
  },
  strict: true,
})

if (values.help) {
  console.log('usage: tsx test/fakes/fake-vllm-cli.ts [--port N] [--host H] [--ms-per-token X] [--ms-per-request X] [--concurrency N] [--record] [--mode M] [--delay-ms N] [--api-key K] [--served-model NAME] [--max-model-len N]')
  process.exit(0)
}

const num = (name: string, v: string | undefined): number | undefined => {
  if (v === undefined) return undefined
  const n = Number(v)
  if (!Number.isFinite(n) || n < 0) {
    console.error(`--${name}: expected a non-negative number, got ${v}`)
    process.exit(2)
  }
  return n
}

const concurrency = num('concurrency', values.concurrency)
const server = await startFakeVllm({
  port: num('port', values.port) ?? 8000,
  host: values.host,
  msPerToken: num('ms-per-token', values['ms-per-token']) ?? 0,
  msPerRequest: num('ms-per-request', values['ms-per-request']) ?? 0,
  ...(concurrency === undefined || concurrency === 0 ? {} : { concurrency }),
  record: values.record,
})

const patch: Partial<FakeControl> = {}
if (values.mode !== undefined) {
  const mode = FAKE_MODES.find((m) => m === values.mode)
  if (mode === undefined) {
    console.error(`fake-vllm: unknown --mode ${values.mode}; one of ${FAKE_MODES.join(', ')}`)
    process.exit(2)
  }
  patch.mode = mode
}
const delay = num('delay-ms', values['delay-ms'])
if (delay !== undefined) patch.delayMs = delay
if (values['api-key'] !== undefined) patch.apiKey = values['api-key']
if (values['served-model'] !== undefined) patch.servedModel = values['served-model']
const mml = num('max-model-len', values['max-model-len'])
if (mml !== undefined) patch.maxModelLen = mml
const inst = server.instance('default')
inst.control = { ...inst.control, ...patch }

console.log(JSON.stringify({ url: server.url, pid: process.pid }))

const stop = () => {
  void server.close().then(() => process.exit(0))
}
process.on('SIGTERM', stop)
process.on('SIGINT', stop)
