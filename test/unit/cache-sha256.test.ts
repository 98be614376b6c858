import fc from 'fast-check'
import { createHash } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { encodeWtf8Into, sha256, sha256Continue, sha256Midstate, wtf8Bytes } from '../../src/cache/sha256'

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
    // A lone surrogate is hashed as WTF-8 (ED A0 80), not as TextEncoder's U+FFFD (EF BF BD).
    const wtf8 = Buffer.concat([Buffer.from([0xed, 0xa0, 0x80]), Buffer.from(' lone surrogate')])
    expect(hex(sha256('\ud800 lone surrogate'))).toBe(createHash('sha256').update(wtf8).digest('hex'))
    expect(hex(sha256('\ud800 lone surrogate'))).not.toBe(node('\ufffd lone surrogate'))
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

describe('WTF-8 encoding of the hashed text', () => {
  it('is exactly UTF-8 for well-formed text (keys of such text did not change)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 200 }), (s) => {
        const buf = new Uint8Array(s.length * 3)
        const n = encodeWtf8Into(s, buf)
        expect(Buffer.from(buf.subarray(0, n)).equals(Buffer.from(s, 'utf8'))).toBe(true)
        expect(Buffer.from(wtf8Bytes(s)).equals(Buffer.from(s, 'utf8'))).toBe(true)
      }),
      { numRuns: 500 }
    )
  }, 30_000)

  it('is injective over UTF-16: lone surrogates (either half, anywhere) never encode like U+FFFD or each other', () => {
    const texts = ['\ud800', '\udc00', '\udbff', '\udfff', '\ufffd', '\ud800\udc00', '\udc00\ud800', 'a\ud800', '\ud800a', '\ud800\ud800']
    const encoded = new Set(texts.map((t) => Buffer.from(wtf8Bytes(t)).toString('hex')))
    expect(encoded.size).toBe(texts.length)
    expect(Buffer.from(wtf8Bytes('\ud800\udc00')).toString('hex')).toBe('f0908080')
    expect(Buffer.from(wtf8Bytes('\udc00\ud800')).toString('hex')).toBe('edb080eda080')
    const sixty = 'x'.repeat(64)
    expect(hex(sha256Continue(sha256Midstate(sixty), 'a\udfff'))).toBe(
      createHash('sha256').update(Buffer.concat([Buffer.from(sixty), Buffer.from('a'), Buffer.from([0xed, 0xbf, 0xbf])])).digest('hex')
    )
  })
})
