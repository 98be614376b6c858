/**
 * @module lexical-backend
 * The embedded scorer that answers when no GPU backend is configured. Its scores depend on
 * the whole candidate set (BM25 IDF), so they are never cached, and every response says
 * `meta.backend: "lexical"`. It does not read instructions.
 */
import type { PairScorer, PrepareRequest, PreparedPairs, ScoreRequest, ScoreResult } from '../types'
import { QWEN3_PREFORMATTED } from '../vllm/qwen3-preformatted'
import { scoreLexical } from './lexical-scorer'

export const LEXICAL_MODEL = 'lexical-bm25'

/** The lexical scorer's own prompt "format": it reads the folded text as is. */
export const LEXICAL_PROMPT_FORMAT = 'lexical-bm25/v1'

/**
 * Reported as the call's instruction when none is given. The lexical scorer ignores instructions;
 * this is the generic web-search wording, so `meta.instruction` reads alike on both backends.
 */
export const LEXICAL_DEFAULT_INSTRUCTION = 'Given a web search query, retrieve relevant passages that answer the query'

/**
 * Characters kept per `max_tokens_per_doc` token. BM25 has no context limit, so the cap is the only
 * cut; 4 characters is the usual English average per subword token (Cohere and OpenAI docs).
 */
const CHARS_PER_TOKEN = 4

export function createLexicalScorer(): PairScorer {
  return {
    kind: 'lexical',
    model: LEXICAL_MODEL,
    promptFormat: LEXICAL_PROMPT_FORMAT,
    defaultInstruction: LEXICAL_DEFAULT_INSTRUCTION,
    // The service fronts Qwen3-Reranker: a client that formats its prompt does so whichever scorer
    // answers, and BM25 must not count the template's words ("Judge", "Document", "yes"…).
    preformatted: QWEN3_PREFORMATTED,
    prepare(request: PrepareRequest): Promise<PreparedPairs> {
      return Promise.resolve(prepareLexical(request))
    },
    score(request: ScoreRequest): Promise<ScoreResult> {
      return Promise.resolve({ scores: scoreLexical(request.query, request.documents) })
    },
  }
}

/** Joins each folded document; with `maxTokensPerDoc`, cuts its body (keeping the metadata). Pure. */
export function prepareLexical(request: PrepareRequest): PreparedPairs {
  const cap = request.maxTokensPerDoc === undefined ? undefined : request.maxTokensPerDoc * CHARS_PER_TOKEN
  let truncated = 0
  const documents = request.documents.map((d) => {
    if (cap === undefined || d.body.length <= cap) return d.head + d.body + d.tail
    truncated++
    const code = d.body.charCodeAt(cap - 1)
    const end = code >= 0xd800 && code <= 0xdbff ? cap - 1 : cap // never split a surrogate pair
    return d.head + d.body.slice(0, end) + d.tail
  })
  return { instruction: request.instruction, query: request.query, documents, truncated }
}
