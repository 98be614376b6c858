/**
 * @module upstream-pool
 * Chooses which vLLM base URL serves a call. This first version rotates through the
 * configured URLs and, when a call cannot reach one (connection failure or 503), tries the
 * next while the deadline allows. Health-aware choice, breakers and retries build on this
 * interface.
 */
import { BackendError } from '../backend-error'

export interface UpstreamPool {
  readonly urls: readonly string[]
  call<T>(attempt: (baseUrl: string) => Promise<T>): Promise<T>
}

export function createRoundRobinPool(urls: readonly string[]): UpstreamPool {
  let cursor = 0
  return {
    urls,
    async call<T>(attempt: (baseUrl: string) => Promise<T>): Promise<T> {
      if (urls.length === 0) throw new BackendError({ kind: 'unreachable', message: 'no backend configured' })
      const first = cursor++ % urls.length
      let lastError: unknown
      for (let i = 0; i < urls.length; i++) {
        const url = urls[(first + i) % urls.length] as string
        try {
          return await attempt(url)
        } catch (e) {
          lastError = e
          // Only failures that prove nothing was scored are safe to send elsewhere.
          const retriable =
            e instanceof BackendError &&
            (e.fault.kind === 'unreachable' || (e.fault.kind === 'status' && e.fault.status === 503))
          if (!retriable) throw e
        }
      }
      throw lastError
    },
  }
}
