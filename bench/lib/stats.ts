/**
 * @module bench/stats
 * Small statistics for benchmark reports: every figure is reported as a median of repeated
 * runs with its spread (min–max), and performance is stated as a ratio against a baseline
 * measured in the same run (BENCHMARKS.md rules).
 */
export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  const m = Math.floor(s.length / 2)
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2
}

export function percentile(xs: readonly number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b)
  if (s.length === 0) return Number.NaN
  const i = Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))
  return s[i] as number
}

export function spread(xs: readonly number[]): { min: number; max: number } {
  return { min: Math.min(...xs), max: Math.max(...xs) }
}

/** "1.23 (1.10–1.31)" */
export function fmt(xs: readonly number[], digits = 2): string {
  const { min, max } = spread(xs)
  return `${median(xs).toFixed(digits)} (${min.toFixed(digits)}–${max.toFixed(digits)})`
}
