/**
 * @module distinct-strings
 * The distinct strings of a list, in order of first appearance, with where each item went and how
 * many items each distinct string stands for. Pure. V8 hashes each string once here and keeps the
 * hash in the string, so later Map probes with the same strings do not hash them again.
 */
export interface DistinctStrings {
  /** Each string once, in order of first appearance. */
  distinct: string[]
  /** For item i, the index of its string in `distinct`. */
  slot: Int32Array
  /** For each distinct string, how many items it stands for. */
  count: number[]
}

export function distinctStrings(items: readonly string[]): DistinctStrings {
  const n = items.length
  const distinct: string[] = []
  const slot = new Int32Array(n)
  const count: number[] = []
  const indexOf = new Map<string, number>()
  for (let i = 0; i < n; i++) {
    const s = items[i] as string
    let k = indexOf.get(s)
    if (k === undefined) {
      k = distinct.length
      indexOf.set(s, k)
      distinct.push(s)
      count.push(1)
    } else count[k]!++
    slot[i] = k
  }
  return { distinct, slot, count }
}
