/**
 * @module bench/worker-inspector
 * The DevTools protocol of the worker's own isolate in a Miniflare started with `inspectorPort`
 * (bench/lib/worker-under-test.ts): the `core:user` target, and `send(method, params)` resolving
 * to the command's result. workerd answers a command when the isolate next runs, so a caller whose
 * worker may be idle passes `wake` (a cheap request), sent shortly after each command.
 */
export interface WorkerInspector {
  send(method: string, params?: object): Promise<unknown>
  close(): void
}

export async function connectWorkerInspector(port: number, wake?: () => void): Promise<WorkerInspector> {
  const targets = (await (await fetch(`http://127.0.0.1:${port}/json`)).json()) as Array<{ webSocketDebuggerUrl: string; title: string }>
  const target = targets.find((t) => /core:user/u.test(t.title)) ?? targets[0]
  if (target === undefined) throw new Error(`no inspector target on port ${port}`)
  const ws = new WebSocket(target.webSocketDebuggerUrl)
  await new Promise((ok) => ws.addEventListener('open', ok, { once: true }))
  let id = 0
  const pending = new Map<number, (v: unknown) => void>()
  ws.addEventListener('message', (m) => {
    const d = JSON.parse(String(m.data)) as { id?: number; result?: unknown }
    if (d.id !== undefined) pending.get(d.id)?.(d.result)
  })
  return {
    send: (method, params = {}) =>
      new Promise<unknown>((ok) => {
        pending.set(++id, ok)
        ws.send(JSON.stringify({ id, method, params }))
        if (wake) setTimeout(wake, 100)
      }),
    close: () => ws.close(),
  }
}
