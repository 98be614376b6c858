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

export function defaultIo(): EvalIo {
  return {
    stdout: (t) => process.stdout.write(t),
    stderr: (t) => process.stderr.write(t),
    stderrIsTty: process.stderr.isTTY === true,
    fetch: globalThis.fetch,
    sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
    env: process.env,
  }
}
