/**
 * @module score-bucket
 * The edge tier's value: every cached score of one scope (tenant namespace, model, revision,
 * prompt format, instruction, query, budget: `score-key`) in one binary record list. Pure.
 *
 * Why one value per scope and not one per pair: Workers KV bills and limits per key. One key per
 * pair made a 1,000-candidate miss issue 900 writes (the free plan allows 1,000 writes a day in
 * all, the paid one bills $5 per million: developers.cloudflare.com/kv/platform/limits and
 * /pricing) and a cached call 10 bulk reads billed per key, and the writes were about 40 % of the
 * isolate's CPU on such a miss (BENCHMARKS.md "Where the CPU goes"). Per scope, a call costs one
 * read and, when it scored something, one write, whatever its size. Partial hits stay exact: a
 * later call with the same query and an overlapping candidate list finds each pair it shares.
 *
 * What it costs, and why it is safe: a call's write merges its new pairs into the bucket as it
 * read it (`score-with-cache`), plus what its isolate wrote there in the last minute
 * (`recent-writes`: KV may serve a location an older read for 60 s). So when calls in different
 * isolates write one scope at about the same time, the earlier writer's additions are lost, and
 * KV takes one write per second per key (a refused write is counted and lost). Lost pairs are
 * scored again; none can be served wrong, because every record names its pair by digest and a
 * score never changes under its inputs.
 *
 * Layout (little-endian): an 8-byte header, "rsb1" and the record count (u32), then 32-byte
 * records, oldest first:
 *   [0, 16)  the pair's id: the first 16 bytes of its SHA-256 pair digest (`pairDigests`); a
 *            collision needs ~2^64 pairs in one scope (birthday bound on 128 bits)
 *   [16, 24) the score, float64 (exact: no decimal round trip)
 *   [24, 28) when it expires, seconds since the epoch (u32: good until 2106)
 *   [28, 32) u32: bit 31 the scorer cut the document to fit, bit 30 the token cost is known,
 *            bits 0–29 the prompt tokens the pair cost (≤ MAX_PAIR_TOKENS)
 * A record whose score or tokens could not have been written by this code is dropped and counted
 * as corrupt; a value whose header or length is wrong counts as one corrupt value and reads as empty.
 */
import { isCacheableScore, MAX_PAIR_TOKENS, type StoredScore } from './score-value'

export const BUCKET_MAGIC = 0x31627372 // "rsb1" read as a little-endian u32
export const BUCKET_HEADER_BYTES = 8
export const BUCKET_RECORD_BYTES = 32
export const PAIR_ID_BYTES = 16

/**
 * At most this many pairs per scope (128 KiB): four calls of 1,000 candidates for one query. When a
 * merge exceeds it, the oldest records go first. A KV value may hold 25 MiB; the bound keeps the
 * read of a hot query small.
 */
export const MAX_BUCKET_PAIRS = 4096

const CUT = 0x8000_0000
const TOKENS_KNOWN = 0x4000_0000
const TOKENS_MASK = 0x3fff_ffff

/** Records, `size` × 32 bytes, oldest first. */
export interface ScoreBucket {
  readonly records: Uint8Array
  readonly size: number
}

export const emptyBucket = (): ScoreBucket => ({ records: new Uint8Array(0), size: 0 })

export interface DecodedBucket {
  bucket: ScoreBucket
  /** Records (or, for a malformed value, the value itself) dropped as not written by this code. */
  corrupt: number
}

function view(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
}

function recordValue(dv: DataView, at: number): StoredScore | undefined {
  const score = dv.getFloat64(at + 16, true)
  if (!isCacheableScore(score)) return undefined
  const meta = dv.getUint32(at + 28, true)
  const tokens = meta & TOKENS_MASK
  if ((meta & TOKENS_KNOWN) === 0 && tokens !== 0) return undefined
  if (tokens > MAX_PAIR_TOKENS) return undefined
  const out: StoredScore = (meta & TOKENS_KNOWN) !== 0 ? { score, tokens } : { score }
  if ((meta & CUT) !== 0) out.cut = true
  return out
}

/** The live records of a stored value (expired ones dropped), and how many were corrupt. */
export function decodeBucket(bytes: Uint8Array, nowSec: number): DecodedBucket {
  if (bytes.byteLength === 0) return { bucket: emptyBucket(), corrupt: 0 }
  if (bytes.byteLength < BUCKET_HEADER_BYTES) return { bucket: emptyBucket(), corrupt: 1 }
  const dv = view(bytes)
  const count = dv.getUint32(4, true)
  if (dv.getUint32(0, true) !== BUCKET_MAGIC || bytes.byteLength !== BUCKET_HEADER_BYTES + count * BUCKET_RECORD_BYTES) {
    return { bucket: emptyBucket(), corrupt: 1 }
  }
  const out = new Uint8Array(count * BUCKET_RECORD_BYTES)
  let size = 0
  let corrupt = 0
  for (let i = 0; i < count; i++) {
    const at = BUCKET_HEADER_BYTES + i * BUCKET_RECORD_BYTES
    if (recordValue(dv, at) === undefined) {
      corrupt++
      continue
    }
    if (dv.getUint32(at + 24, true) <= nowSec) continue
    out.set(bytes.subarray(at, at + BUCKET_RECORD_BYTES), size * BUCKET_RECORD_BYTES)
    size++
  }
  return { bucket: { records: out.subarray(0, size * BUCKET_RECORD_BYTES), size }, corrupt }
}

/** The value to store: header and records. */
export function encodeBucket(bucket: ScoreBucket): Uint8Array {
  const out = new Uint8Array(BUCKET_HEADER_BYTES + bucket.size * BUCKET_RECORD_BYTES)
  const dv = view(out)
  dv.setUint32(0, BUCKET_MAGIC, true)
  dv.setUint32(4, bucket.size, true)
  out.set(bucket.records.subarray(0, bucket.size * BUCKET_RECORD_BYTES), BUCKET_HEADER_BYTES)
  return out
}

/**
 * A Map key from an id's first 6 bytes (48 bits: exact in a double, so the Map hashes a number,
 * not a string). Ids sharing it are told apart by comparing all 16 bytes (`sameId`).
 */
function prefixOf(bytes: Uint8Array, at: number): number {
  return (
    ((bytes[at] as number) | ((bytes[at + 1] as number) << 8) | ((bytes[at + 2] as number) << 16)) * 0x100_0000 +
    ((bytes[at + 3] as number) | ((bytes[at + 4] as number) << 8) | ((bytes[at + 5] as number) << 16))
  )
}

function sameId(records: Uint8Array, at: number, id: Uint8Array): boolean {
  for (let b = 0; b < PAIR_ID_BYTES; b++) if (records[at + b] !== id[b]) return false
  return true
}

/** Positions of `ids` by the 48-bit prefix of each. */
function byPrefix(ids: readonly Uint8Array[]): Map<number, number[]> {
  const wanted = new Map<number, number[]>()
  ids.forEach((id, j) => {
    const p = prefixOf(id, 0)
    const list = wanted.get(p)
    if (list) list.push(j)
    else wanted.set(p, [j])
  })
  return wanted
}

/** Calls `visit(record index, id position)` for each record of `bucket` whose id is in `ids`. */
function matchIds(bucket: ScoreBucket, ids: readonly Uint8Array[], visit: (i: number, j: number) => void): void {
  if (bucket.size === 0 || ids.length === 0) return
  const wanted = byPrefix(ids)
  for (let i = 0; i < bucket.size; i++) {
    const at = i * BUCKET_RECORD_BYTES
    const list = wanted.get(prefixOf(bucket.records, at))
    if (list === undefined) continue
    for (const j of list) if (sameId(bucket.records, at, ids[j] as Uint8Array)) visit(i, j)
  }
}

/** The stored value of each id, in order (undefined: not in the bucket). Ids are ≥ 16 bytes; the first 16 count. */
export function lookupBucket(bucket: ScoreBucket, ids: readonly Uint8Array[]): Array<StoredScore | undefined> {
  const found = new Array<StoredScore | undefined>(ids.length).fill(undefined)
  const dv = view(bucket.records)
  matchIds(bucket, ids, (i, j) => {
    found[j] = recordValue(dv, i * BUCKET_RECORD_BYTES)
  })
  return found
}

function writeRecord(out: Uint8Array, dv: DataView, at: number, id: Uint8Array, value: StoredScore, expiresAtSec: number): void {
  out.set(id.subarray(0, PAIR_ID_BYTES), at)
  dv.setFloat64(at + 16, value.score, true)
  dv.setUint32(at + 24, expiresAtSec, true)
  const t = value.tokens
  const known = typeof t === 'number' && Number.isInteger(t) && t >= 0 && t <= MAX_PAIR_TOKENS
  dv.setUint32(at + 28, ((value.cut === true ? CUT : 0) | (known ? TOKENS_KNOWN | t : 0)) >>> 0, true)
}

/**
 * `base` with `additions` appended (each expiring at `expiresAtSec`), a record of `base` with the
 * same id replaced, scores that may not be cached skipped, and the oldest records dropped beyond
 * `max`.
 */
export function mergeBucket(
  base: ScoreBucket,
  additions: ReadonlyArray<readonly [id: Uint8Array, value: StoredScore]>,
  expiresAtSec: number,
  max: number = MAX_BUCKET_PAIRS
): ScoreBucket {
  const adds = additions.filter(([id, v]) => id.length >= PAIR_ID_BYTES && isCacheableScore(v.score))
  const records = new Uint8Array(adds.length * BUCKET_RECORD_BYTES)
  const dv = view(records)
  adds.forEach(([id, value], i) => writeRecord(records, dv, i * BUCKET_RECORD_BYTES, id, value, expiresAtSec))
  return appendRecords(base, { records, size: adds.length }, max)
}

/**
 * Every live record of `older` and `newer` (at `nowSec`), one per id, `newer`'s where both hold
 * one, oldest dropped beyond `max`: what a reader should see when it knows of a write (`newer`)
 * that its read (`older`) may predate.
 */
export function unionBuckets(older: ScoreBucket, newer: ScoreBucket, nowSec: number, max: number = MAX_BUCKET_PAIRS): ScoreBucket {
  return appendRecords(liveRecords(older, nowSec), liveRecords(newer, nowSec), max)
}

/** The records of `bucket` that have not expired at `nowSec`. */
function liveRecords(bucket: ScoreBucket, nowSec: number): ScoreBucket {
  const live = new Uint8Array(bucket.size * BUCKET_RECORD_BYTES)
  const dv = view(bucket.records)
  let size = 0
  for (let i = 0; i < bucket.size; i++) {
    const at = i * BUCKET_RECORD_BYTES
    if (dv.getUint32(at + 24, true) <= nowSec) continue
    live.set(bucket.records.subarray(at, at + BUCKET_RECORD_BYTES), size * BUCKET_RECORD_BYTES)
    size++
  }
  return { records: live.subarray(0, size * BUCKET_RECORD_BYTES), size }
}

/** `base`'s records not named in `adds`, then `adds` (distinct ids), the oldest dropped beyond `max`. */
function appendRecords(base: ScoreBucket, adds: ScoreBucket, max: number): ScoreBucket {
  const ids = Array.from({ length: adds.size }, (_, i) => adds.records.subarray(i * BUCKET_RECORD_BYTES, i * BUCKET_RECORD_BYTES + PAIR_ID_BYTES))
  const replaced = new Set<number>()
  matchIds(base, ids, (i) => replaced.add(i))
  const keepFromBase: number[] = []
  for (let i = 0; i < base.size; i++) if (!replaced.has(i)) keepFromBase.push(i)
  const dropOld = Math.max(0, keepFromBase.length + adds.size - max)
  const fromBase = keepFromBase.slice(Math.min(dropOld, keepFromBase.length))
  const skipAdds = Math.max(0, dropOld - keepFromBase.length)
  const size = fromBase.length + adds.size - skipAdds
  const out = new Uint8Array(size * BUCKET_RECORD_BYTES)
  let n = 0
  for (const i of fromBase) {
    out.set(base.records.subarray(i * BUCKET_RECORD_BYTES, (i + 1) * BUCKET_RECORD_BYTES), n * BUCKET_RECORD_BYTES)
    n++
  }
  out.set(adds.records.subarray(skipAdds * BUCKET_RECORD_BYTES, adds.size * BUCKET_RECORD_BYTES), n * BUCKET_RECORD_BYTES)
  return { records: out, size }
}
