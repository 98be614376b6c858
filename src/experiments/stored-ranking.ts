/**
 * @module stored-ranking
 * What of a call's served document ids an exposure keeps: all of them, or the longest prefix whose
 * JSON fits in one D1 value. Pure.
 *
 * Why: D1 refuses a string, BLOB or row over its size limit ("Maximum string, BLOB or table row
 * size", developers.cloudflare.com/d1/platform/limits: 1,000,000 bytes in the version of that page
 * we could read, 2 MB in later ones; we keep to the smaller), and the local D1 (Miniflare) takes
 * any size. The ids of 1,000 documents are tens of KB as a rule, but an id may hold 256 characters,
 * each up to 6 bytes of JSON (a control character's `\u0001`), and MAX_DOCUMENTS may be 10,000: the
 * whole list can pass the limit, and then the insert fails and the exposure is lost. Keeping the
 * top of the ranking loses only what feedback rarely names: a click or grade on a document past
 * the kept prefix is refused with a message that says so (feedback-schema.ts).
 */

/** Bytes of the `ranked_ids` JSON an exposure keeps: under D1's 1,000,000 with room for the row's other columns. */
export const MAX_RANKED_IDS_BYTES = 900_000

const encoder = new TextEncoder()

export interface StoredRanking {
  /** JSON array of the kept ids, rank 1 first. */
  json: string
  /** How many ids it keeps (a prefix of the ranking). */
  kept: number
}

export function storedRanking(ids: readonly string[], maxBytes = MAX_RANKED_IDS_BYTES): StoredRanking {
  const whole = JSON.stringify(ids)
  // A UTF-16 code unit is at most 3 UTF-8 bytes: most rankings are cleared without encoding.
  if (whole.length * 3 <= maxBytes || encoder.encode(whole).byteLength <= maxBytes) return { json: whole, kept: ids.length }
  let bytes = 2 // the brackets
  let kept = 0
  for (const id of ids) {
    const add = encoder.encode(JSON.stringify(id)).byteLength + (kept > 0 ? 1 : 0)
    if (bytes + add > maxBytes) break
    bytes += add
    kept++
  }
  return { json: JSON.stringify(ids.slice(0, kept)), kept }
}
