/**
 * @module trec-order
 * The order trec_eval ranks a query's results in (usnistgov/trec_eval `form_res_rels.c`,
 * `comp_sim_docno`): score descending, ties broken by docno *descending* with `strcmp`, i.e. by
 * bytes. The rank column of a run file is ignored, so this order is the one every measure sees.
 */

/** A scored document of one query, as a run file holds it. */
export interface RunEntry {
  readonly docno: string
  readonly score: number
}

/**
 * Compares two strings by their UTF-8 bytes, as C `strcmp` does on UTF-8 text (negative when `a`
 * sorts first). UTF-8 byte order equals code point order; UTF-16 code unit order (JS `<`) differs
 * from it only when a surrogate (a code point ≥ U+10000) meets a unit in U+E000–U+FFFF, which is
 * corrected here. For ASCII ids this is plain `<`.
 */
export function compareBytes(a: string, b: string): number {
  const n = Math.min(a.length, b.length)
  for (let i = 0; i < n; i++) {
    const ca = a.charCodeAt(i)
    const cb = b.charCodeAt(i)
    if (ca !== cb) return codePointRank(ca) - codePointRank(cb)
  }
  return a.length - b.length
}

/** Maps a UTF-16 code unit to a key that orders like the code point it belongs to. */
function codePointRank(unit: number): number {
  if (unit >= 0xd800 && unit <= 0xdfff) return unit + 0x2000 // surrogates: code points ≥ U+10000
  if (unit >= 0xe000) return unit - 0x800
  return unit
}

/** trec_eval's comparator: higher score first; equal scores: larger docno (bytes) first. */
function compareTrec(a: RunEntry, b: RunEntry): number {
  if (a.score > b.score) return -1
  if (a.score < b.score) return 1
  return compareBytes(b.docno, a.docno)
}

/** A copy of `entries` in trec_eval's order. */
export function sortTrec(entries: readonly RunEntry[]): RunEntry[] {
  return [...entries].sort(compareTrec)
}
