/**
 * @module memory-lru
 * The in-isolate tier: scores by (scope, document), bounded in *bytes* (CACHE_MEMORY_BYTES),
 * evicting in least-recently-used order by the second-chance ("CLOCK") approximation of LRU, with
 * a per-entry expiry (CACHE_TTL_SECONDS after this isolate stored the score; a score read from the
 * edge store starts a new period here, so an isolate may serve it up to twice the TTL after it was
 * first computed: harmless, since a key names the model revision and prompt format it depends on).
 * Pure data structure: the clock comes in as an argument.
 *
 * Two levels, scope → document text → entry, so that a lookup hashes the document string itself:
 * V8 caches a string's hash in the string, and the request's documents were already hashed once
 * (deduplication), so a hit costs two Map probes and no SHA-256, concatenation or copy. (A flat map
 * keyed by scope + "\n" + document cost about 1 µs per lookup to build and hash the key.)
 *
 * Why second chance and not exact LRU: exact LRU on a JS `Map` re-inserts the entry on every hit
 * (delete + set), which at 30,000 entries cost about 4 µs per hit in V8 (rehashing the holes the
 * deletes leave). Here a hit only sets a flag. Eviction takes entries from the front of a queue
 * of all entries in insertion order: one read since it was stored (or last spared) is spared once
 * (flag cleared, appended to the back), otherwise evicted. Each hit causes at most one later move,
 * so eviction is amortised O(1). The queue is a plain array with a moving head, not a `Set`: an
 * insertion is one array append and an eviction one slot read, where the Set cost a hash insert
 * and a hash delete per entry on top of the document map's (1,000 inserts of fresh 250-character
 * documents with evictions into a full 16 MiB tier, Node 22, medians of 40: 0.90–1.09 ms with the
 * Set, 0.62–0.95 ms with the queue). An entry removed otherwise (expired, deleted, replaced) is
 * marked and left as a tombstone the head skips; the queue is copied without the dead slots once
 * they outnumber the live entries, so each slot is copied O(1) times on average and the queue
 * stays under twice the entries plus 1,024.
 *
 * Bytes: an entry is charged `ENTRY_OVERHEAD_BYTES` plus its document's characters, a scope
 * `SCOPE_OVERHEAD_BYTES` plus its key's, at 1 byte per character (V8 one-byte strings) or 2 when
 * the text has a character above U+00FF. The overheads are measured on Node 22 (V8, the engine
 * workerd embeds) with `--expose-gc`: 50,000 entries of 155-character documents under one scope
 * took 343 bytes each, 188 beyond the text (entry record, a Map and a Set slot; the array queue that replaced the Set took about 10 bytes
 * fewer per entry, 85.6 vs 95.6 beyond the text with the texts allocated beforehand, so the charge
 * is kept as an upper bound). So 16 MiB holds
 * about 48,000 pairs of 155-character passages, or 14,000 of 1,000-character ones; the edge store
 * holds the rest. A Worker isolate has 128 MB (developers.cloudflare.com/workers/platform/limits).
 */

export const ENTRY_OVERHEAD_BYTES = 192
export const SCOPE_OVERHEAD_BYTES = 256

// Without the u flag: a test on UTF-16 code units (a surrogate is > U+00FF either way), which
// V8 runs as a plain character-class scan; with it, the miss path spent ~10 % of its CPU here.
const WIDE = /[^\u0000-\u00ff]/

const textBytes = (text: string) => text.length * (WIDE.test(text) ? 2 : 1)

interface Scope {
  key: string
  docs: Map<string, Entry>
  bytes: number
}

/**
 * What a hit returns: the score, the prompt tokens it cost (undefined: not known), and whether the
 * scorer cut the document to fit its context (reported as `truncated_documents` on a hit too).
 */
export interface CachedPair {
  readonly score: number
  readonly tokens: number | undefined
  readonly cut?: boolean | undefined
}

interface Entry extends CachedPair {
  scope: Scope
  doc: string
  score: number
  tokens: number | undefined
  cut: boolean
  /** ms since epoch */
  expiresAt: number
  /** What this entry is charged (computed once: it scans the text). */
  bytes: number
  /** Read since stored or last spared: spared once by eviction. */
  referenced: boolean
  /** Removed (expired, deleted, replaced): its queue slot is a tombstone the hand skips. */
  removed: boolean
}

export class ByteBoundedLru {
  #scopes = new Map<string, Scope>()
  /**
   * Every entry, oldest first, from `#head` on: a queue in a plain array (the module comment).
   * Removed entries stay as tombstones until the hand passes them or a compaction drops them.
   */
  #queue: Entry[] = []
  #head = 0
  #size = 0
  #bytes = 0
  #capacity: number
  #evictions = 0
  #compactions = 0

  constructor(capacityBytes: number) {
    this.#capacity = Math.max(0, capacityBytes)
  }

  get capacityBytes(): number {
    return this.#capacity
  }

  get sizeBytes(): number {
    return this.#bytes
  }

  /** Entries held. */
  get size(): number {
    return this.#size
  }

  /** Entries dropped to make room (not counting expiry). */
  get evictions(): number {
    return this.#evictions
  }

  /**
   * Times the queue was copied to drop the slots behind the hand and the tombstones: each copy
   * costs the live entries and happens only once that many slots are dead, so every slot is
   * copied O(1) times on average (what the module comment explains).
   */
  get compactions(): number {
    return this.#compactions
  }

  /** What an entry for `doc` is charged (its scope is charged once, separately). */
  static entryBytes(doc: string): number {
    return ENTRY_OVERHEAD_BYTES + textBytes(doc)
  }

  static scopeBytes(scope: string): number {
    return SCOPE_OVERHEAD_BYTES + textBytes(scope)
  }

  /** Changes the bound (a new config); shrinking evicts the least recently used entries first. */
  setCapacity(capacityBytes: number): void {
    this.#capacity = Math.max(0, capacityBytes)
    this.#evictDownTo(this.#capacity)
  }

  /** The score for (`scope`, `doc`) if present and not expired at `now`; a hit marks it used. */
  get(scope: string, doc: string, now: number): number | undefined {
    return this.lookup(scope, doc, now)?.score
  }

  /** Like `get`, with the tokens the pair cost. The entry itself: no allocation per hit. */
  lookup(scope: string, doc: string, now: number): CachedPair | undefined {
    const e = this.#scopes.get(scope)?.docs.get(doc)
    if (e === undefined) return undefined
    if (e.expiresAt <= now) {
      this.#remove(e)
      return undefined
    }
    e.referenced = true
    return e
  }

  /** Stores the pair; false when it cannot fit at all (a zero or tiny capacity, a huge document). */
  set(scope: string, doc: string, score: number, expiresAt: number, tokens?: number, cut = false): boolean {
    let s = this.#scopes.get(scope)
    const old = s?.docs.get(doc)
    if (old !== undefined) this.#remove(old)
    if (this.#capacity <= ENTRY_OVERHEAD_BYTES) return false
    const bytes = ByteBoundedLru.entryBytes(doc)
    // Make room for the entry, and for its scope unless that exists (eviction may drop the scope
    // it was counting on: then make room for that too; at most two rounds).
    for (;;) {
      s = this.#scopes.get(scope)
      const need = bytes + (s === undefined ? ByteBoundedLru.scopeBytes(scope) : 0)
      if (need > this.#capacity) return false
      this.#evictDownTo(this.#capacity - need)
      if (this.#scopes.get(scope) === s) break
    }
    if (s === undefined) {
      s = { key: scope, docs: new Map(), bytes: ByteBoundedLru.scopeBytes(scope) }
      this.#scopes.set(scope, s)
      this.#bytes += s.bytes
    }
    const e: Entry = { scope: s, doc, score, tokens, cut, expiresAt, bytes, referenced: false, removed: false }
    s.docs.set(doc, e)
    this.#queue.push(e)
    this.#size++
    this.#bytes += bytes
    return true
  }

  /** Whether (`scope`, `doc`) is held, without marking it used or expiring it. */
  has(scope: string, doc: string): boolean {
    return this.#scopes.get(scope)?.docs.has(doc) ?? false
  }

  delete(scope: string, doc: string): boolean {
    const e = this.#scopes.get(scope)?.docs.get(doc)
    if (e === undefined) return false
    this.#remove(e)
    return true
  }

  clear(): void {
    this.#scopes.clear()
    this.#queue = []
    this.#head = 0
    this.#size = 0
    this.#bytes = 0
  }

  #remove(e: Entry): void {
    e.removed = true
    this.#size--
    e.scope.docs.delete(e.doc)
    // A tombstone must not keep its text alive until compaction (its bytes are no longer counted).
    e.doc = ''
    this.#bytes -= e.bytes
    if (e.scope.docs.size === 0 && this.#scopes.get(e.scope.key) === e.scope) {
      this.#scopes.delete(e.scope.key)
      this.#bytes -= e.scope.bytes
    }
  }

  #evictDownTo(limit: number): void {
    while (this.#bytes > limit) {
      if (this.#head >= this.#queue.length) break
      const e = this.#queue[this.#head] as Entry
      this.#head++
      if (e.removed) continue
      if (e.referenced) {
        // Second chance: to the back of the queue (the hand will meet it again later).
        e.referenced = false
        this.#queue.push(e)
        continue
      }
      this.#remove(e)
      this.#evictions++
    }
    this.#compactIfSparse()
  }

  /**
   * Drops the slots behind the hand and the tombstones once they outnumber the live entries
   * (removals that eviction never passes, e.g. expiry in a cache that never fills, would otherwise
   * grow the queue without bound). Keeps queue order; O(live) per call, amortised O(1) per slot.
   */
  #compactIfSparse(): void {
    const slots = this.#queue.length
    if (slots < 1024 || slots - this.#size <= this.#size) return
    const live: Entry[] = []
    for (let i = this.#head; i < slots; i++) {
      const e = this.#queue[i] as Entry
      if (!e.removed) live.push(e)
    }
    this.#queue = live
    this.#head = 0
    this.#compactions++
  }
}
