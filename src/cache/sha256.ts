/**
 * @module sha256
 * SHA-256 (FIPS 180-4) in plain JS, for the per-document half of the score keys. Pure.
 *
 * Why not `crypto.subtle.digest` for every document: in workerd each call crosses into C++ and
 * back through a promise, and 100 short digests cost about 3.5 ms of a request (measured: 233 vs
 * 1,226 requests/s for a route hashing 100 ~120-byte strings vs an empty route, Miniflare, 8
 * connections; `node:crypto` createHash was no better, 290/s). That alone would break the 2 ms
 * budget of a fully cached 100-candidate call. This implementation runs in the JIT with no
 * allocation per block and, because every per-document input starts with the same 64-byte scope
 * digest (exactly one block), it starts each document from the precomputed state after that block
 * (the "midstate"), so the shared material is hashed once per request, not once per document.
 * `bench/cache-key.bench.ts` measures all three; the unit tests check it against node:crypto.
 */

const K = new Int32Array([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5, 0xd807aa98,
  0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786,
  0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8,
  0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
  0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819,
  0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a,
  0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
  0xc67178f2,
])

const IV = new Int32Array([0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19])

const W = new Int32Array(64)

/** Compresses the 64-byte blocks of `bytes[from, to)` into `h` (8 words, updated in place). */
function compress(h: Int32Array, bytes: Uint8Array, from: number, to: number): void {
  let h0 = h[0] as number, h1 = h[1] as number, h2 = h[2] as number, h3 = h[3] as number
  let h4 = h[4] as number, h5 = h[5] as number, h6 = h[6] as number, h7 = h[7] as number
  for (let off = from; off < to; off += 64) {
    for (let t = 0; t < 16; t++) {
      const i = off + t * 4
      W[t] = ((bytes[i] as number) << 24) | ((bytes[i + 1] as number) << 16) | ((bytes[i + 2] as number) << 8) | (bytes[i + 3] as number)
    }
    for (let t = 16; t < 64; t++) {
      const w15 = W[t - 15] as number
      const w2 = W[t - 2] as number
      const s0 = ((w15 >>> 7) | (w15 << 25)) ^ ((w15 >>> 18) | (w15 << 14)) ^ (w15 >>> 3)
      const s1 = ((w2 >>> 17) | (w2 << 15)) ^ ((w2 >>> 19) | (w2 << 13)) ^ (w2 >>> 10)
      W[t] = ((W[t - 16] as number) + s0 + (W[t - 7] as number) + s1) | 0
    }
    let a = h0, b = h1, c = h2, d = h3, e = h4, f = h5, g = h6, hh = h7
    for (let t = 0; t < 64; t++) {
      const S1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7))
      const ch = (e & f) ^ (~e & g)
      const t1 = (hh + S1 + ch + (K[t] as number) + (W[t] as number)) | 0
      const S0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10))
      const maj = (a & b) ^ (a & c) ^ (b & c)
      const t2 = (S0 + maj) | 0
      hh = g
      g = f
      f = e
      e = (d + t1) | 0
      d = c
      c = b
      b = a
      a = (t1 + t2) | 0
    }
    h0 = (h0 + a) | 0
    h1 = (h1 + b) | 0
    h2 = (h2 + c) | 0
    h3 = (h3 + d) | 0
    h4 = (h4 + e) | 0
    h5 = (h5 + f) | 0
    h6 = (h6 + g) | 0
    h7 = (h7 + hh) | 0
  }
  h[0] = h0; h[1] = h1; h[2] = h2; h[3] = h3; h[4] = h4; h[5] = h5; h[6] = h6; h[7] = h7
}

const encoder = new TextEncoder()
let scratch = new Uint8Array(1024)

/** A UTF-16 surrogate not paired with its partner ("lone"); in `u` mode a pair is one code point. */
const LONE_SURROGATE = /[\uD800-\uDFFF]/u

/** Whether `text` holds a lone surrogate (String.prototype.isWellFormed, ES2024, negated). */
export function hasLoneSurrogate(text: string): boolean {
  return LONE_SURROGATE.test(text)
}

/**
 * Writes `text` as WTF-8 (simonsapin.github.io/wtf-8, "generalized UTF-8"): UTF-8 for every scalar
 * value and a surrogate pair, and the 3-byte form (ED A0 80–ED BF BF) for a lone surrogate, where
 * TextEncoder (WHATWG Encoding, "UTF-8 encode") writes U+FFFD instead. For well-formed text the
 * bytes are exactly UTF-8, so keys of such text are unchanged; a lone surrogate's bytes are never
 * valid UTF-8, so "\uD800" and "\uFFFD" can never share a key. `buf` must hold 3 bytes per unit.
 */
export function encodeWtf8Into(text: string, buf: Uint8Array): number {
  let n = 0
  for (let i = 0; i < text.length; i++) {
    let c = text.charCodeAt(i)
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
      const d = text.charCodeAt(i + 1)
      if (d >= 0xdc00 && d <= 0xdfff) {
        c = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00)
        i++
      }
    }
    if (c < 0x80) buf[n++] = c
    else if (c < 0x800) {
      buf[n++] = 0xc0 | (c >> 6)
      buf[n++] = 0x80 | (c & 63)
    } else if (c < 0x10000) {
      buf[n++] = 0xe0 | (c >> 12)
      buf[n++] = 0x80 | ((c >> 6) & 63)
      buf[n++] = 0x80 | (c & 63)
    } else {
      buf[n++] = 0xf0 | (c >> 18)
      buf[n++] = 0x80 | ((c >> 12) & 63)
      buf[n++] = 0x80 | ((c >> 6) & 63)
      buf[n++] = 0x80 | (c & 63)
    }
  }
  return n
}

/** `text` as WTF-8 bytes: UTF-8 when well-formed (the fast native encoder), else encodeWtf8Into. */
export function wtf8Bytes(text: string): Uint8Array<ArrayBuffer> {
  if (!hasLoneSurrogate(text)) return encoder.encode(text) as Uint8Array<ArrayBuffer>
  const buf = new Uint8Array(text.length * 3)
  return buf.slice(0, encodeWtf8Into(text, buf))
}

/**
 * SHA-256 state after a whole number of 64-byte blocks: hashing continues from here for any
 * suffix, so a shared prefix is compressed once.
 */
export interface Sha256Midstate {
  readonly words: Int32Array
  /** Bytes already hashed (a multiple of 64). */
  readonly length: number
}

/** The midstate after `prefix`, whose UTF-8 length must be a multiple of 64 bytes. */
export function sha256Midstate(prefix: string): Sha256Midstate {
  const bytes = encoder.encode(prefix)
  if (bytes.length % 64 !== 0) throw new RangeError('sha256Midstate: the prefix must be whole 64-byte blocks')
  const words = new Int32Array(IV)
  compress(words, bytes, 0, bytes.length)
  return { words, length: bytes.length }
}

/** SHA-256 of (the midstate's prefix + `suffix` as WTF-8, i.e. UTF-8 when well-formed): 32 bytes. */
export function sha256Continue(mid: Sha256Midstate, suffix: string): Uint8Array {
  // UTF-8 takes at most 3 bytes per UTF-16 unit; + 0x80, up to 63 zero bytes and the 8-byte length.
  const need = suffix.length * 3 + 72
  if (scratch.length < need) scratch = new Uint8Array(Math.max(need, scratch.length * 2))
  const buf = scratch
  // TextEncoder would turn a lone surrogate into U+FFFD: two different texts, one key.
  const n = hasLoneSurrogate(suffix) ? encodeWtf8Into(suffix, buf) : encoder.encodeInto(suffix, buf).written
  const padded = (n + 9 + 63) & ~63
  buf[n] = 0x80
  buf.fill(0, n + 1, padded - 8)
  const bits = (mid.length + n) * 8
  const hi = Math.floor(bits / 0x100000000)
  const lo = bits >>> 0
  buf[padded - 8] = hi >>> 24
  buf[padded - 7] = (hi >>> 16) & 0xff
  buf[padded - 6] = (hi >>> 8) & 0xff
  buf[padded - 5] = hi & 0xff
  buf[padded - 4] = lo >>> 24
  buf[padded - 3] = (lo >>> 16) & 0xff
  buf[padded - 2] = (lo >>> 8) & 0xff
  buf[padded - 1] = lo & 0xff
  const h = new Int32Array(mid.words)
  compress(h, buf, 0, padded)
  const out = new Uint8Array(32)
  for (let i = 0; i < 8; i++) {
    const w = h[i] as number
    out[i * 4] = w >>> 24
    out[i * 4 + 1] = (w >>> 16) & 0xff
    out[i * 4 + 2] = (w >>> 8) & 0xff
    out[i * 4 + 3] = w & 0xff
  }
  return out
}

const EMPTY: Sha256Midstate = { words: IV, length: 0 }

/** SHA-256 of `text` as WTF-8 (UTF-8 when well-formed). */
export function sha256(text: string): Uint8Array {
  return sha256Continue(EMPTY, text)
}
