/**
 * @module qwen3-prepared-document
 * A prepared document as one string: what the vLLM scorer's `prepare` hands the pipeline (and the
 * cache keys), before the token budget is applied. Fitting a document to the context waits until
 * the document is actually sent (`score`), so a cache hit never pays for it; the string must
 * therefore carry everything the fit depends on, and tell apart every input the model would read
 * differently.
 *
 * A plain document (no folded metadata) is its neutralised text, unchanged: no copy, and the same
 * key as ever. A document with folded metadata is cut differently (its head and tail are kept), so
 * it also records where they are:
 *
 *   head + body + tail + "<|endoftext|>" + head.length + "," + tail.length
 *
 * The marker is one of Qwen3's added tokens; neutralised text (qwen3-special-tokens.ts) never holds
 * one, so no plain document can look like a folded one, and the encoding is injective. Pure.
 */
import type { FoldedDocument } from '../../documents/fold'

const SPLIT = '<|endoftext|>'
const LENGTHS = /^(\d{1,9}),(\d{1,9})$/u
/** "999999999,999999999": the longest lengths part LENGTHS accepts. */
const MAX_LENGTHS_CHARS = 19

/** The one-string form of a neutralised folded document (module doc). */
export function encodePreparedDocument(d: FoldedDocument): string {
  if (d.head === '' && d.tail === '') return d.body
  return `${d.head}${d.body}${d.tail}${SPLIT}${d.head.length},${d.tail.length}`
}

/**
 * The folded document a prepared string stands for. A string `encodePreparedDocument` did not write
 * (a caller scoring raw text) is a plain document.
 */
export function decodePreparedDocument(s: string): FoldedDocument {
  // The marker can only sit in the last characters (the lengths after it are at most 19): a
  // search of the whole text was ~5 % of a 1,000-document miss.
  const at = s.indexOf(SPLIT, Math.max(0, s.length - SPLIT.length - MAX_LENGTHS_CHARS))
  if (at < 0) return { head: '', body: s, tail: '' }
  const m = LENGTHS.exec(s.slice(at + SPLIT.length))
  const headLength = Number(m?.[1] ?? -1)
  const tailLength = Number(m?.[2] ?? -1)
  if (!m || headLength + tailLength > at) return { head: '', body: s, tail: '' }
  return { head: s.slice(0, headLength), body: s.slice(headLength, at - tailLength), tail: s.slice(at - tailLength, at) }
}
