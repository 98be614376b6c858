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

/**
 * A distribution-free confidence interval for the median of `xs`: the order statistics
 * x(k) and x(n+1−k), k the largest with P(Binomial(n, ½) < k) ≤ (1 − confidence) / 2, so the
 * interval covers the true median with probability ≥ `confidence` whatever the distribution
 * (the sign-test interval: Conover, "Practical Nonparametric Statistics", §3.2). With too few
 * values for that confidence it is the whole range, and `coverage` says what it reaches
 * (9 rounds: x(2)–x(8), 96.1 %; 5 rounds: min–max, 93.8 %).
 */
export function medianInterval(xs: readonly number[], confidence = 0.95): { lo: number; hi: number; coverage: number } {
  const s = [...xs].sort((a, b) => a - b)
  const n = s.length
  if (n === 0) return { lo: Number.NaN, hi: Number.NaN, coverage: 0 }
  // cdf[j] = P(B ≤ j), B ~ Binomial(n, 1/2)
  const cdf: number[] = []
  let term = 0.5 ** n
  let acc = 0
  for (let j = 0; j <= n; j++) {
    acc += term
    cdf.push(acc)
    term = (term * (n - j)) / (j + 1)
  }
  let k = 1
  while (k + 1 <= Math.floor((n + 1) / 2) && 1 - 2 * (cdf[k] as number) >= confidence) k++
  return { lo: s[k - 1] as number, hi: s[n - k] as number, coverage: 1 - 2 * (cdf[k - 1] as number) }
}

/**
 * Whether a budget is met by what `xs` (one value per paired round) says of the median:
 * `met` when the median's interval (`medianInterval`) lies on the budget's side, `not met` when it
 * lies wholly beyond, `undecided` when it straddles the bound (the run cannot tell).
 * `kind`: 'max' for a ceiling (CPU ≤ bound), 'min' for a floor (throughput ratio ≥ bound).
 */
export function budgetVerdict(xs: readonly number[], bound: number, kind: 'max' | 'min', digits = 2): string {
  const { lo, hi, coverage } = medianInterval(xs)
  const within = (v: number) => (kind === 'max' ? v <= bound : v >= bound)
  const word = within(lo) && within(hi) ? '**met**' : !within(lo) && !within(hi) ? '**not met**' : '**undecided**'
  return `${word} (median ${median(xs).toFixed(digits)}, ${Math.round(coverage * 1000) / 10} % interval ${lo.toFixed(digits)}–${hi.toFixed(digits)})`
}
