import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { parseVllmRerankReply, parseVllmRerankReplyFully } from './vllm-response'
import { scanVllmRerankReply } from './vllm-reply-scan'

/** A reply as vLLM 0.13 writes it: every formatted document echoed. */
function reply(docs: readonly string[], scores: readonly number[], extra: Record<string, unknown> = {}) {
  return JSON.stringify({
    id: 'rerank-1',
    model: 'qwen3-reranker-8b',
    usage: { prompt_tokens: 123, total_tokens: 123 },
    results: docs.map((d, i) => ({ index: i, document: { text: d }, relevance_score: scores[i] })).reverse(),
    ...extra,
  })
}

/**
 * The one deliberate difference: JSON.parse refuses a reply whose skipped string holds a raw
 * control character or a bad escape; the scanner reads it. Checked by repairing those strings
 * (control characters and lone backslashes escaped) and seeing JSON.parse agree.
 */
function acceptsOnlyBySkippedString(text: string): boolean {
  const repaired = text.replace(/"(?:[^"\\]|\\.)*"/gsu, (str) =>
    str.replace(/\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4})|\\|[\u0000-\u001f]/gu, (m) =>
      m.length > 1 ? m : m === '\\' ? '\\\\' : `\\u${m.charCodeAt(0).toString(16).padStart(4, '0')}`
    )
  )
  try {
    JSON.parse(repaired)
    return true
  } catch {
    return false
  }
}

/** The scanner either agrees with the full reader or defers to it; the public reader always agrees. */
function agrees(text: string, n: number) {
  const full = parseVllmRerankReplyFully(text, n)
  const fast = scanVllmRerankReply(text, n)
  const lenient = !full.ok && full.fault.message === 'backend reply is not valid JSON' && fast !== undefined && acceptsOnlyBySkippedString(text)
  if (fast !== undefined && !lenient) expect({ ok: true, value: fast }).toEqual(full)
  if (!lenient) expect(parseVllmRerankReply(text, n)).toEqual(full)
  return { full, fast }
}

describe('vLLM reply scanner', () => {
  it('reads index, score and usage without parsing the echoed documents, escapes and all', () => {
    const docs = ['<Document>: "quoted" \\ back\\slash \n\t\u0001 ctl', 'emoji 😀 中文 \ud800 lone', '}{][,:"', 'x'.repeat(5000)]
    const text = reply(docs, [0.1, 0.9, 0.5, 1e-7])
    const { fast } = agrees(text, 4)
    expect(fast).toEqual({ scores: [0.1, 0.9, 0.5, 1e-7], promptTokens: 123 })
  })

  it('reads a usage count only when it can be a count of tokens: both readers, the same way', () => {
    for (const bogus of ['1e300', '-1000', '2.5', '9007199254740993', '"12"', 'true']) {
      const text = reply(['a', 'b'], [0.1, 0.2]).replace('"prompt_tokens":123', `"prompt_tokens":${bogus}`).replace('"total_tokens":123', `"total_tokens":${bogus}`)
      const { full } = agrees(text, 2)
      expect(full, bogus).toEqual({ ok: true, value: { scores: [0.1, 0.2] } })
    }
    expect(agrees(reply(['a'], [0.5]).replace(/"prompt_tokens":123/u, '"prompt_tokens":0'), 1).full).toEqual({ ok: true, value: { scores: [0.5], promptTokens: 0 } })
  })

  it('agrees with JSON.parse + full validation on generated replies (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.string({ unit: 'binary', maxLength: 60 }), { maxLength: 8 }),
        fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 8, maxLength: 8 }),
        fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 3 }), { maxKeys: 3 }),
        (docs, scores, extra) => {
          const text = reply(docs, scores, extra)
          const { full, fast } = agrees(text, docs.length)
          // Extra top-level keys named results/usage change the reply; any other key is ignored.
          // (The scanner defers names written with escapes to JSON.parse: they might spell one.)
          const plainNames = Object.keys(extra).every((k) => k.length <= 32 && !JSON.stringify(k).slice(1, -1).includes('\\'))
          if (plainNames && !('results' in extra) && !('usage' in extra) && !('__proto__' in extra)) {
            expect(full.ok).toBe(true)
            expect(fast).toBeDefined()
          }
        }
      ),
      { numRuns: 400 }
    )
  }, 30_000)

  it('agrees on arbitrary corruptions of a valid reply: cut, inserted and replaced characters (property)', () => {
    const base = reply(['alpha "a"', 'beta \\ b', 'gamma'], [0.25, 0.5, 0.75])
    fc.assert(
      fc.property(fc.nat(base.length), fc.nat(base.length), fc.string({ unit: 'binary-ascii', maxLength: 4 }), (at, len, ins) => {
        const text = base.slice(0, at) + ins + base.slice(Math.min(base.length, at + (len % 6)))
        agrees(text, 3)
        agrees(base.slice(0, at), 3)
      }),
      { numRuns: 3000 }
    )
  }, 30_000)

  it('rejects, in the full reader\'s words, every fault it rejected before', () => {
    const docs = ['a', 'b']
    const cases: Array<[string, number, RegExp]> = [
      ['not json', 2, /not valid JSON/u],
      ['5', 2, /not a JSON object/u],
      ['[]', 2, /no results array/u],
      ['{"results": 5}', 2, /no results array/u],
      [reply(docs, [0.1, 0.2]), 3, /2 results for 3 documents/u],
      ['{"results":[{"index":0,"relevance_score":0.1},{"index":0,"relevance_score":0.2}]}', 2, /index 0 twice/u],
      ['{"results":[{"index":0,"relevance_score":0.1},{"index":2,"relevance_score":0.2}]}', 2, /unknown index 2/u],
      ['{"results":[{"index":0,"relevance_score":0.1},{"index":1.5,"relevance_score":0.2}]}', 2, /unknown index 1.5/u],
      ['{"results":[{"index":0,"relevance_score":0.1},{"index":"1","relevance_score":0.2}]}', 2, /unknown index "1"/u],
      ['{"results":[{"index":0,"relevance_score":0.1},{"index":1,"relevance_score":NaN}]}', 2, /not valid JSON/u],
      ['{"results":[{"index":0,"relevance_score":0.1},{"index":1,"relevance_score":1e999}]}', 2, /non-finite/u],
      ['{"results":[{"index":0,"relevance_score":0.1},{"index":1,"relevance_score":1.5}]}', 2, /out-of-range score 1.5/u],
      ['{"results":[{"index":0,"relevance_score":0.1},{"index":1,"relevance_score":-0.5}]}', 2, /out-of-range/u],
      ['{"results":[{"index":0,"relevance_score":0.1},{"index":1}]}', 2, /no numeric score for index 1 \(none\)/u],
      ['{"results":[{"index":0,"relevance_score":0.1},{"index":1,"relevance_score":"0.2"}]}', 2, /no numeric score for index 1 \(string\)/u],
      ['{"results":[{"index":0,"relevance_score":0.1},{"index":1,"relevance_score":null}]}', 2, /no numeric score for index 1 \(null\)/u],
      ['{"error":{"message":"upstream model crashed","code":500}}', 2, /no results array but an error: upstream model crashed/u],
      ['{"results":[{"index":0,"relevance_score":0.1},{"index":1,"relevance_score":0.2,"document":{"text":"unterminated \\"}}]}', 2, /not valid JSON/u],
      ['{"results":[{"index":0,"relevance_score":0.1},{"index":1,"relevance_score":0.2,"docu\u0001ment":1}]}', 2, /not valid JSON/u],
      ['{"results":[{"index":0,"relevance_score":0.1},{"index":1,"relevance_score":0.2}],}', 2, /not valid JSON/u],
      ['{"results":[{"index":0,"relevance_score":0.1},{"index":1,"relevance_score":0.2},]}', 2, /not valid JSON/u],
      ['{"results":[{"index":0 "relevance_score":0.1},{"index":1,"relevance_score":0.2}]}', 2, /not valid JSON/u],
      ['{"results":[{"index":01,"relevance_score":0.1},{"index":0,"relevance_score":0.2}]}', 2, /not valid JSON/u],
      ['{"results":[{"index":0,"relevance_score":0.1},{"index":1,"relevance_score":0.2}]} trailing', 2, /not valid JSON/u],
    ]
    for (const [text, n, message] of cases) {
      expect(scanVllmRerankReply(text, n), text).toBeUndefined()
      const r = parseVllmRerankReply(text, n)
      expect(r.ok, text).toBe(false)
      if (!r.ok) expect(r.fault.message, text).toMatch(message)
    }
  })

  it('reads a reply whose echoed document breaks the string grammar (its content is never used)', () => {
    for (const doc of ['bad \\x escape', 'raw \u0001 control', 'bad \\u12 escape']) {
      const text = `{"results":[{"index":0,"relevance_score":0.1,"document":{"text":"${doc}"}},{"index":1,"relevance_score":0.2}]}`
      expect(parseVllmRerankReplyFully(text, 2).ok).toBe(false)
      expect(parseVllmRerankReply(text, 2)).toEqual({ ok: true, value: { scores: [0.1, 0.2] } })
    }
  })

  it('takes the last of duplicate members, as JSON.parse does (by deferring to it)', () => {
    const text = '{"results":[{"index":0,"relevance_score":0.1,"relevance_score":0.9}]}'
    expect(scanVllmRerankReply(text, 1)).toBeUndefined()
    expect(parseVllmRerankReply(text, 1)).toEqual({ ok: true, value: { scores: [0.9] } })
    const usage = '{"results":[{"index":0,"relevance_score":0.1}],"usage":{"prompt_tokens":"x","total_tokens":7}}'
    expect(parseVllmRerankReply(usage, 1)).toEqual(parseVllmRerankReplyFully(usage, 1))
    const nullUsage = '{"results":[{"index":0,"relevance_score":0.1}],"usage":{"prompt_tokens":null,"total_tokens":7}}'
    expect(scanVllmRerankReply(nullUsage, 1)).toEqual({ scores: [0.1], promptTokens: 7 })
    expect(parseVllmRerankReplyFully(nullUsage, 1)).toEqual({ ok: true, value: { scores: [0.1], promptTokens: 7 } })
  })

  it('reads the reply as bytes, never decoding what it skips: bad UTF-8 in an echoed document, a byte order mark', () => {
    const text = reply(['caf\u00e9 中文', 'plain'], [0.25, 0.75])
    const bytes = new TextEncoder().encode(text)
    expect(scanVllmRerankReply(bytes, 2)).toEqual({ scores: [0.25, 0.75], promptTokens: 123 })
    // A UTF-8 byte order mark is dropped, as Response.text() drops it before JSON.parse.
    const bom = new Uint8Array([0xef, 0xbb, 0xbf, ...bytes])
    expect(parseVllmRerankReply(bom, 2)).toEqual(parseVllmRerankReplyFully(text, 2))
    // Invalid UTF-8 inside an echoed document: text() would have made it U+FFFD; the score stands.
    const at = new TextEncoder().encode(text.slice(0, text.indexOf('plain'))).length
    const broken = new Uint8Array([...bytes.subarray(0, at), 0xff, 0xc3, ...bytes.subarray(at)])
    expect(scanVllmRerankReply(broken, 2)).toEqual({ scores: [0.25, 0.75], promptTokens: 123 })
    // …but in a member name the scanner defers to the full reader on the decoded text.
    const named = new TextEncoder().encode('{"results":[{"index":0,"relevance_score":0.5,"zz":1}]}')
    const z = named.indexOf(0x7a)
    const withBadByte = new Uint8Array([...named.subarray(0, z), 0xff, ...named.subarray(z)])
    expect(scanVllmRerankReply(withBadByte, 1)).toBeUndefined()
    expect(parseVllmRerankReply(withBadByte, 1)).toEqual({ ok: true, value: { scores: [0.5] } })
  })
})

