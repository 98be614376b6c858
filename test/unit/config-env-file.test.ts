/**
 * `npm start`'s env file must give back every value byte for byte when read the way wrangler
 * 4.164 reads `--env-file`: dotenv@16.3.1 `parse`, then dotenv-expand@12.0.2. Both are taken
 * verbatim out of wrangler's own bundle (node_modules/wrangler/wrangler-dist/cli.js), not from a
 * copy, so a wrangler upgrade that changes them fails here.
 */
import { readFileSync } from 'node:fs'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
// @ts-expect-error: a plain .mjs module without types
import { buildEnvFile, encodeEnvValue, parseDotenv, unreadDotenvLines } from '../../scripts/env-file.mjs'

type Parse = (src: string) => Record<string, string>
type Expand = (o: { processEnv: Record<string, string>; parsed: Record<string, string> }) => unknown

function slice(src: string, from: string, to: string): string {
  const a = src.indexOf(from)
  const b = src.indexOf(to, a)
  if (a < 0 || b < 0) throw new Error(`wrangler bundle changed: cannot find ${from}`)
  return src.slice(a, b + to.length)
}

/** wrangler's bundled dotenv `parse` and dotenv-expand `expand`, evaluated as they are. */
function wranglerDotenv(): { parse: Parse; expand: Expand } {
  const bundle = readFileSync(new URL('../../node_modules/wrangler/wrangler-dist/cli.js', import.meta.url), 'utf8')
  const dotenv = slice(bundle, '"../../node_modules/.pnpm/dotenv@16.3.1/node_modules/dotenv/lib/main.js"', '__name(parse18, "parse");')
  const line = slice(dotenv, 'var LINE = ', ';\n')
  const parse = slice(dotenv, 'function parse18(src) {', '__name(parse18, "parse");')
  const expandSrc = slice(
    bundle,
    '"../../node_modules/.pnpm/dotenv-expand@12.0.2/node_modules/dotenv-expand/lib/main.js"',
    'module2.exports.expand = expand3;'
  )
  const expand = expandSrc.slice(expandSrc.indexOf('function _resolveEscapeSequences'))
  const factory = new Function(
    'const __name = (f) => f; const module2 = { exports: {} };\n' +
      `${line}\n${parse}\n${expand}\nreturn { parse: parse18, expand: expand3 };`
  ) as () => { parse: Parse; expand: Expand }
  return factory()
}

const real = wranglerDotenv()

/** What wrangler's loadDotEnv yields for this env-file text (includeProcessEnv off). */
function readAsWrangler(text: string): Record<string, string> {
  const parsed = real.parse(text)
  const processEnv: Record<string, string> = {}
  real.expand({ processEnv, parsed })
  return processEnv
}

const nasty = ['$', '"', "'", '`', '\\', '\n', '\r', '#', ' ', '=', '{', '}', '$HOME', '${PATH}', '\\$', '\\n', 'é', '😀']

describe('env file for wrangler --env-file', () => {
  it('round-trips the values that broke npm start before', () => {
    const values = {
      API_KEYS: '[{"id":"k1","hash":"sha256:ab","tenant":"t","scopes":["rerank"]}]',
      FOLDING: '{"source_label":"来源","date":"off"}',
      VLLM_API_KEY: `p$HOME"q\\r'\${PATH}s`,
      MULTI: 'line one\nline two # not a comment',
      TRAILING: '  spaced  ',
      EMPTY: '',
    }
    const { text, unencodable } = buildEnvFile({}, values)
    expect(unencodable).toEqual([])
    expect(readAsWrangler(text)).toEqual(values)
  })

  it('round-trips arbitrary values, or says it cannot', () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.constantFrom(...nasty), fc.string({ maxLength: 4 })), { maxLength: 12 }).map((a) => a.join('')),
        (value) => {
          const encoded = encodeEnvValue(value) as string | undefined
          if (encoded === undefined) {
            // Only values no dotenv form carries: '…' and `…` are out (the quote inside, or a CR,
            // which dotenv turns into a newline), and so is "…" (a " inside, or a literal \n or \r).
            const cr = value.includes('\r')
            expect((value.includes("'") || cr) && (value.includes('`') || cr) && (value.includes('"') || /\\[nr]/u.test(value))).toBe(true)
            return
          }
          expect(readAsWrangler(`A=x\nKEY=${encoded}\nB=y\n`)).toEqual({ A: 'x', KEY: value, B: 'y' })
        }
      ),
      { numRuns: 2000 }
    )
  }, 30_000)

  it('merges .dev.vars with the environment, the environment winning', () => {
    const devVars = parseDotenv("API_KEYS=[{\"id\":\"a\"}]\nVLLM_API_KEY='from$file'\nVLLM_MODEL=dev # comment\n") as Record<string, string>
    expect(devVars).toEqual(real.parse("API_KEYS=[{\"id\":\"a\"}]\nVLLM_API_KEY='from$file'\nVLLM_MODEL=dev # comment\n"))
    const { text } = buildEnvFile(devVars, { VLLM_MODEL: 'env' })
    expect(readAsWrangler(text)).toEqual({ API_KEYS: '[{"id":"a"}]', VLLM_API_KEY: 'from$file', VLLM_MODEL: 'env' })
  })
})

const unread = unreadDotenvLines as (src: string) => number[]

describe('.dev.vars lines dotenv skips', () => {
  it('are reported by number: a bare name, a name and a value without =, a name with a space', () => {
    const src = [
      'A=1', //                     1
      'VLLM_API_KEY', //            2: no =
      '# a comment', //             3
      '', //                        4
      'API_KEYS [{"id":"k1"}]', //  5: no =
      "M='multi", //                6
      "line'", //                   7: inside M's quoted value
      '   ', //                     8
      'API KEYS=x', //              9: a space in the name
      'export E=2', //              10
      'F: g', //                    11
      'G="x" # c', //               12
    ].join('\n')
    expect(unread(src)).toEqual([2, 5, 9])
    expect(real.parse(src)).toEqual({ A: '1', M: 'multi\nline', E: '2', F: 'g', G: 'x' })
    expect(unread('A=1\r\nbad\r\n')).toEqual([2])
    expect(unread('')).toEqual([])
  })

  it('are exactly the lines whose removal leaves what dotenv reads unchanged, never a line it read', () => {
    const line = fc.oneof(
      fc.constantFrom('A=1', 'B="x\ny"', "C='p", "q'", 'NAME', 'X Y=1', '# c', '', '  ', 'D: e', 'export F=g', '=v', 'H=`a', 'b`'),
      fc.string({ maxLength: 8 })
    )
    fc.assert(
      fc.property(fc.array(line, { maxLength: 10 }), (lines) => {
        const src = lines.join('\n')
        const skipped = new Set(unread(src))
        const kept = src.replace(/\r\n?/gu, '\n').split('\n').filter((_, i) => !skipped.has(i + 1)).join('\n')
        expect(real.parse(kept)).toEqual(real.parse(src))
        for (const n of skipped) {
          const l = src.replace(/\r\n?/gu, '\n').split('\n')[n - 1]!
          expect(l.trim() === '' || l.trimStart().startsWith('#')).toBe(false)
        }
      }),
      { numRuns: 1000 }
    )
  }, 30_000)

  it('.dev.vars.example, copied as is, sets nothing and has no line dotenv skips', () => {
    const example = readFileSync(new URL('../../.dev.vars.example', import.meta.url), 'utf8')
    expect(real.parse(example)).toEqual({})
    expect(unread(example)).toEqual([])
  })
})
