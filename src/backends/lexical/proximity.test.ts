import { describe, expect, it } from 'vitest'
import { PROXIMITY_WINDOW, proximityScore } from './proximity'

const P = { k1: 0.9, b: 0.4 }

/** proximityScore over per-term positions (`[[0], [2, 4]]`: term 0 at 0, term 1 at 2 and 4). */
function score(positions: number[][], weights: number[], docLength: number, avgdl: number): number {
  const occ = positions.flatMap((list, term) => list.map((pos) => [pos, term] as const)).sort((a, b) => a[0] - b[0])
  return proximityScore(occ.map(([, t]) => t), occ.map(([pos]) => pos), weights, docLength, avgdl, P)
}

describe('proximity (BM25TP)', () => {
  it('scores one adjacent pair by hand', () => {
    // terms 0 and 1 at positions 0 and 1: d = 1, acc = 1; |d| = avgdl so K = k1 = 0.9
    // min(2, 3) · 1·1.9/(1 + 0.9) = 2
    expect(score([[0], [1]], [2, 3], 10, 10)).toBeCloseTo(2, 12)
  })

  it('adds 1/d² per occurrence pair within the window', () => {
    // positions: a at 0, b at 2 and 4 → d = 2 and 4: acc = 1/4 + 1/16 = 0.3125
    const acc = 0.25 + 0.0625
    expect(score([[0], [2, 4]], [1, 1], 10, 10)).toBeCloseTo((acc * 1.9) / (acc + 0.9), 12)
  })

  it('ignores pairs farther apart than the window, and repeats of one term', () => {
    expect(score([[0], [PROXIMITY_WINDOW + 1]], [1, 1], 10, 10)).toBe(0)
    expect(score([[0, 1, 2], []], [1, 1], 10, 10)).toBe(0)
    expect(score([[0, 1]], [1], 10, 10)).toBe(0)
  })

  it('prefers closer pairs', () => {
    const near = score([[3], [4]], [1, 1], 10, 10)
    const far = score([[3], [7]], [1, 1], 10, 10)
    expect(near).toBeGreaterThan(far)
    expect(far).toBeGreaterThan(0)
  })
})
