import fc from 'fast-check'
import { createHash } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { sha256, sha256Continue, sha256Midstate } from '../../src/cache/sha256'

const node = (s: string) => createHash('sha256').update(s, 'utf8').digest('hex')
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex')

describe('sha256 (plain JS)', () => {
  it('matches the FIPS 180-4 / NIST example digests', () => {
    expect(hex(sha256(''))).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855')
    expect(hex(sha256('abc'))).toBe(node('abc'))
    expect(hex(sha256('abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq'))).toBe(
      '248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1'
    )
    expect(hex(sha256('a'.repeat(1_000_000)))).toBe('cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0')
  })

  it('matches node:crypto on any string, every length around the block boundaries (property)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 400 }), (s) => {
        expect(hex(sha256(s))).toBe(node(s))
      }),
      { numRuns: 1000 }
    )
    for (let n = 0; n < 200; n++) expect(hex(sha256('x'.repeat(n)))).toBe(node('x'.repeat(n)))
    expect(hex(sha256('é😀中'))).toBe(node('é😀中'))
    expect(hex(sha256('\ud800 lone surrogate'))).toBe(node('\ud800 lone surrogate'))
  }, 30_000)

  it('continues from a midstate exactly as hashing prefix + suffix', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 3 }), fc.string({ unit: 'binary', maxLength: 300 }), (blocks, suffix) => {
        const prefix = 'p'.repeat(64 * blocks)
        expect(hex(sha256Continue(sha256Midstate(prefix), suffix))).toBe(node(prefix + suffix))
      }),
      { numRuns: 300 }
    )
    expect(() => sha256Midstate('short')).toThrow(RangeError)
  }, 30_000)
})
