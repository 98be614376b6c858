/**
 * @module lexical-backend
 * The embedded scorer that answers when no GPU backend is configured. Its scores depend on
 * the whole candidate set (BM25 IDF), so they are never cached, and every response says
 * `meta.backend: "lexical"`. It does not read instructions.
 */
import type { PairScorer, ScoreRequest, ScoreResult } from '../types'
import { scoreLexical } from './lexical-scorer'

export const LEXICAL_MODEL = 'lexical-bm25'

export function createLexicalScorer(): PairScorer {
  return {
    kind: 'lexical',
    model: LEXICAL_MODEL,
    score(request: ScoreRequest): Promise<ScoreResult> {
      return Promise.resolve({ scores: scoreLexical(request.query, request.documents) })
    },
  }
}
