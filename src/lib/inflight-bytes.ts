/**
 * @module inflight-bytes
 * How many request-body bytes this isolate is working on at once, and whether one more call's may
 * start. Pure: the clock comes in as an argument.
 *
 * Why: a Worker isolate has 128 MB of memory (developers.cloudflare.com/workers/platform/limits,
 * "Memory"), shared by every call it serves at once; past it the runtime ends the isolate, and
 * with it every call in flight and the memory tier of the score cache. The local runtime sets no
 * such limit. Measured inside workerd (`npm run bench -- isolate-memory`, BENCHMARKS.md): an
 * isolate that has loaded the Qwen3 tokenizer and filled its 16 MiB memory tier holds about 73 MiB
 * (JS heap and ArrayBuffers), and a call of a 7.5 MB body about 23 MiB more while it waits on the
 * backend (more while it parses it), so two such calls reach 119 MiB and three pass 128. Counting body bytes per isolate bounds that: a call whose body would take the total
 * past the bound is refused at once (503 with Retry-After) instead of taking the isolate down.
 *
 * A call is counted from before its body is read until its response is built. One the runtime ends
 * without releasing (a client gone, a call cut) would hold its bytes forever, so each hold expires
 * at a deadline the caller gives.
 */

interface Hold {
  bytes: number
  expiresAt: number
}

export class InflightBytes {
  readonly #holds = new Map<number, Hold>()
  #seq = 0
  #bytes = 0
  #capacity: number

  constructor(capacityBytes: number) {
    this.#capacity = Math.max(0, capacityBytes)
  }

  /** Bytes held now (expired holds included until the next `take`). */
  get bytes(): number {
    return this.#bytes
  }

  get size(): number {
    return this.#holds.size
  }

  setCapacity(capacityBytes: number): void {
    this.#capacity = Math.max(0, capacityBytes)
  }

  /**
   * Holds `bytes` until `release` (or `expiresAt`) when they fit beside what is held at `now`; a
   * call alone is always let in, whatever its size (MAX_BODY_BYTES bounds it). Returns the hold's
   * id, or undefined when it does not fit.
   */
  take(bytes: number, now: number, expiresAt: number): number | undefined {
    for (const [id, h] of this.#holds) if (h.expiresAt <= now) this.release(id)
    const n = Math.max(0, bytes)
    if (this.#holds.size > 0 && this.#bytes + n > this.#capacity) return undefined
    const id = ++this.#seq
    this.#holds.set(id, { bytes: n, expiresAt })
    this.#bytes += n
    return id
  }

  /**
   * Raises hold `id` to `bytes` (a body whose size was not declared, once read) when that fits;
   * false otherwise (the hold is left as it was).
   */
  grow(id: number, bytes: number): boolean {
    const h = this.#holds.get(id)
    if (h === undefined || bytes <= h.bytes) return true
    if (this.#holds.size > 1 && this.#bytes - h.bytes + bytes > this.#capacity) return false
    this.#bytes += bytes - h.bytes
    h.bytes = bytes
    return true
  }

  release(id: number): void {
    const h = this.#holds.get(id)
    if (h === undefined) return
    this.#holds.delete(id)
    this.#bytes -= h.bytes
  }
}
