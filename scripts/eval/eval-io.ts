/**
 * The process-facing side of `npm run eval`, replaceable in tests: streams, fetch, sleep, env.
 */
export interface EvalIo {
  stdout(text: string): void
  stderr(text: string): void
  /** Whether stderr is a terminal (a redrawn progress bar) or a log (a line per 10 %). */
  readonly stderrIsTty: boolean
  readonly fetch: typeof fetch
  /** Waits between retries; replaceable so tests do not sleep. */
  sleep(ms: number): Promise<void>
  /** Environment variables (RERANK_API_KEY). */
  readonly env: Readonly<Record<string, string | undefined>>
}

/** Writes to `stream` unless it has been closed (see `dropOutputOnEpipe`). */
function writer(stream: NodeJS.WriteStream): (text: string) => void {
  return (text) => {
    if (!stream.destroyed) stream.write(text)
  }
}

export function defaultIo(): EvalIo {
  return {
    stdout: writer(process.stdout),
    stderr: writer(process.stderr),
    stderrIsTty: process.stderr.isTTY === true,
    fetch: globalThis.fetch,
    sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
    env: process.env,
  }
}

/**
 * `npm run eval -- … | head`: once the reader has gone, a write fails with EPIPE, which Node
 * reports as an 'error' event on the stream (Node ignores SIGPIPE: nodejs.org/api/process.html,
 * "Signal events") and, unhandled, as a crash with a stack. The stream is then destroyed, so the
 * rest of its output is dropped (`writer`) while the evaluation finishes, writes its files and
 * exits with its own status, as `head` asked for no more. Called once, by the command's entry.
 */
export function dropOutputOnEpipe(stream: NodeJS.WriteStream): void {
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EPIPE') throw err
  })
}
