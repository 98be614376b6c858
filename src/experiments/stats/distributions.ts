/**
 * @module distributions
 * The few special functions the experiment report needs, in plain TypeScript (no numeric library
 * runs in a Worker): log-gamma, the regularized incomplete beta and gamma functions, and from them
 * the Student-t, χ² and standard normal distributions with a robust Student-t / normal quantile.
 *
 * Sources:
 * - log-gamma: Lanczos approximation with g = 7 and the 9 coefficients published by P. Godfrey
 *   ("A note on the computation of the convergent Lanczos complex Gamma approximation", 2001);
 *   relative error about 1e-15 for x > 0.
 * - incomplete beta: Numerical Recipes in C, 2nd ed., §6.4 `betai`/`betacf` (continued fraction
 *   evaluated with the modified Lentz method, §5.2), using the symmetry I_x(a,b) = 1 − I_{1−x}(b,a)
 *   on the side where the fraction converges fast.
 * - incomplete gamma: Numerical Recipes §6.2 `gser` (series for x < a + 1) and `gcf` (Lentz
 *   continued fraction otherwise).
 * - Student-t CDF: A&S 26.7.1 / NR §6.4: P(|T| > t) = I_{ν/(ν+t²)}(ν/2, 1/2).
 * Pure: no I/O, no clock, no randomness.
 */

const EPS = 1e-15
const FPMIN = 1e-300
const MAX_ITER = 100_000

const LANCZOS_G = 7
const LANCZOS_COEF = [
  0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313,
  -176.61502916214059, 12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6,
  1.5056327351493116e-7,
] as const
const HALF_LOG_2PI = 0.5 * Math.log(2 * Math.PI)

/** ln Γ(x) for x > 0 (NaN otherwise). */
export function logGamma(x: number): number {
  if (!(x > 0)) return Number.NaN
  if (x < 0.5) {
    // Reflection Γ(x)Γ(1−x) = π / sin(πx) keeps the Lanczos sum in its accurate range.
    return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x)
  }
  const z = x - 1
  let sum = LANCZOS_COEF[0]
  for (let i = 1; i < LANCZOS_COEF.length; i++) sum += (LANCZOS_COEF[i] as number) / (z + i)
  const t = z + LANCZOS_G + 0.5
  return HALF_LOG_2PI + (z + 0.5) * Math.log(t) - t + Math.log(sum)
}

/** Continued fraction for I_x(a, b) (NR `betacf`), modified Lentz. */
function betaContinuedFraction(a: number, b: number, x: number): number {
  const qab = a + b
  const qap = a + 1
  const qam = a - 1
  let c = 1
  let d = 1 - (qab * x) / qap
  if (Math.abs(d) < FPMIN) d = FPMIN
  d = 1 / d
  let h = d
  for (let m = 1; m <= MAX_ITER; m++) {
    const m2 = 2 * m
    let aa = (m * (b - m) * x) / ((qam + m2) * (a + m2))
    d = 1 + aa * d
    if (Math.abs(d) < FPMIN) d = FPMIN
    c = 1 + aa / c
    if (Math.abs(c) < FPMIN) c = FPMIN
    d = 1 / d
    h *= d * c
    aa = (-(a + m) * (qab + m) * x) / ((a + m2) * (qap + m2))
    d = 1 + aa * d
    if (Math.abs(d) < FPMIN) d = FPMIN
    c = 1 + aa / c
    if (Math.abs(c) < FPMIN) c = FPMIN
    d = 1 / d
    const del = d * c
    h *= del
    if (Math.abs(del - 1) < EPS) return h
  }
  throw new Error(`incomplete beta: no convergence for a=${a}, b=${b}, x=${x}`)
}

/**
 * Regularized incomplete beta I_x(a, b) for a, b > 0 and x in [0, 1].
 * `oneMinusX` may be passed when it is known more precisely than `1 − x` (Student-t tails).
 */
export function regularizedIncompleteBeta(x: number, a: number, b: number, oneMinusX = 1 - x): number {
  if (!(a > 0) || !(b > 0) || !(x >= 0) || !(x <= 1)) return Number.NaN
  if (x === 0) return 0
  if (oneMinusX === 0 || x === 1) return 1
  const logFront =
    logGamma(a + b) - logGamma(a) - logGamma(b) + a * Math.log(x) + b * Math.log(oneMinusX)
  const front = Math.exp(logFront)
  if (x < (a + 1) / (a + b + 2)) return (front * betaContinuedFraction(a, b, x)) / a
  return 1 - (front * betaContinuedFraction(b, a, oneMinusX)) / b
}

/** Lower regularized incomplete gamma P(a, x) and its complement Q(a, x), for a > 0, x ≥ 0. */
function incompleteGamma(a: number, x: number): { p: number; q: number } {
  if (!(a > 0) || !(x >= 0)) return { p: Number.NaN, q: Number.NaN }
  if (x === 0) return { p: 0, q: 1 }
  if (x === Number.POSITIVE_INFINITY) return { p: 1, q: 0 }
  const logFront = -x + a * Math.log(x) - logGamma(a)
  if (x < a + 1) {
    // Series (NR gser).
    let ap = a
    let del = 1 / a
    let sum = del
    for (let n = 1; n <= MAX_ITER; n++) {
      ap += 1
      del *= x / ap
      sum += del
      if (Math.abs(del) < Math.abs(sum) * EPS) {
        const p = sum * Math.exp(logFront)
        return { p, q: 1 - p }
      }
    }
    throw new Error(`incomplete gamma: series did not converge for a=${a}, x=${x}`)
  }
  // Continued fraction (NR gcf), modified Lentz.
  let b = x + 1 - a
  let c = 1 / FPMIN
  let d = 1 / b
  let h = d
  for (let i = 1; i <= MAX_ITER; i++) {
    const an = -i * (i - a)
    b += 2
    d = an * d + b
    if (Math.abs(d) < FPMIN) d = FPMIN
    c = b + an / c
    if (Math.abs(c) < FPMIN) c = FPMIN
    d = 1 / d
    const del = d * c
    h *= del
    if (Math.abs(del - 1) < EPS) {
      const q = Math.exp(logFront) * h
      return { p: 1 - q, q }
    }
  }
  throw new Error(`incomplete gamma: continued fraction did not converge for a=${a}, x=${x}`)
}

/** P(a, x), the regularized lower incomplete gamma function. */
export function regularizedGammaP(a: number, x: number): number {
  return incompleteGamma(a, x).p
}

/** Q(a, x) = 1 − P(a, x), computed directly in the upper tail (no cancellation). */
export function regularizedGammaQ(a: number, x: number): number {
  return incompleteGamma(a, x).q
}

/** χ² CDF with k degrees of freedom: P(k/2, x/2). */
export function chiSquareCdf(x: number, k: number): number {
  if (x <= 0) return 0
  return regularizedGammaP(k / 2, x / 2)
}

/** χ² survival function 1 − CDF with k degrees of freedom: Q(k/2, x/2). */
export function chiSquareSf(x: number, k: number): number {
  if (x <= 0) return 1
  return regularizedGammaQ(k / 2, x / 2)
}

/** Standard normal upper tail P(Z > z), via erfc(x) = Q(1/2, x²). */
function normalSf(z: number): number {
  if (Number.isNaN(z)) return Number.NaN
  if (z >= 0) return 0.5 * regularizedGammaQ(0.5, (z * z) / 2)
  return 1 - 0.5 * regularizedGammaQ(0.5, (z * z) / 2)
}

/** Standard normal CDF Φ(z). */
export function normalCdf(z: number): number {
  return normalSf(-z)
}

function normalPdf(z: number): number {
  return Math.exp(-0.5 * z * z - HALF_LOG_2PI)
}

/**
 * Above this many degrees of freedom the Student-t is replaced by the normal: the CDFs differ by
 * less than φ(t)(t³ + t)/(4ν) < 1e-8, and the incomplete beta fraction needs O(√ν) iterations.
 */
const NORMAL_DOF = 1e7

/** Upper tail P(T > t) of Student's t with `dof` degrees of freedom (dof > 0, may be Infinity). */
export function studentTSf(t: number, dof: number): number {
  if (Number.isNaN(t) || !(dof > 0)) return Number.NaN
  if (dof > NORMAL_DOF) return normalSf(t)
  if (t === 0) return 0.5
  if (!Number.isFinite(t)) return t > 0 ? 0 : 1
  const t2 = t * t
  // x = ν/(ν+t²) and 1 − x = t²/(ν+t²), each computed directly to keep precision near 0 and 1.
  const x = dof / (dof + t2)
  const oneMinusX = t2 / (dof + t2)
  const tail = 0.5 * regularizedIncompleteBeta(x, dof / 2, 0.5, oneMinusX)
  return t > 0 ? tail : 1 - tail
}

/** CDF P(T ≤ t) of Student's t. */
export function studentTCdf(t: number, dof: number): number {
  return studentTSf(-t, dof)
}

/** Two-sided p-value P(|T| ≥ |t|) = 2·P(T > |t|) (no 1 − CDF cancellation). */
export function studentTTwoSidedP(t: number, dof: number): number {
  return Math.min(1, 2 * studentTSf(Math.abs(t), dof))
}

function studentTPdf(t: number, dof: number): number {
  if (dof > NORMAL_DOF) return normalPdf(t)
  return Math.exp(
    logGamma((dof + 1) / 2) -
      logGamma(dof / 2) -
      0.5 * Math.log(dof * Math.PI) -
      ((dof + 1) / 2) * Math.log1p((t * t) / dof)
  )
}

/**
 * Solve sf(t) = q for t ≥ 0, q in (0, 0.5), with Newton steps safeguarded by bisection.
 * sf is decreasing and convex on t ≥ 0, so Newton from t = 0 approaches the root from below;
 * the bracket guards against rounding and underflow of the density far in the tail.
 */
function invertUpperTail(q: number, sf: (t: number) => number, pdf: (t: number) => number): number {
  let lo = 0
  let hi = Number.POSITIVE_INFINITY
  let t = 0
  for (let i = 0; i < 2000; i++) {
    const s = sf(t)
    if (s === q) return t
    if (s > q) lo = t
    else hi = t
    const f = pdf(t)
    let next = f > 0 ? t + (s - q) / f : Number.NaN
    if (!(next > lo && next < hi)) {
      next = Number.isFinite(hi) ? (lo + hi) / 2 : Math.max(1, 2 * lo)
    }
    if (Math.abs(next - t) <= 1e-15 * Math.max(1, Math.abs(t))) return next
    if (Number.isFinite(hi) && hi - lo <= 1e-15 * Math.max(1, lo)) return (lo + hi) / 2
    t = next
  }
  return t
}

/** Quantile (inverse CDF) of Student's t: the t with P(T ≤ t) = p, p in [0, 1]. */
export function studentTQuantile(p: number, dof: number): number {
  if (!(p >= 0 && p <= 1) || !(dof > 0)) return Number.NaN
  if (p === 0) return Number.NEGATIVE_INFINITY
  if (p === 1) return Number.POSITIVE_INFINITY
  if (p === 0.5) return 0
  // Invert the smaller tail as given, so p = 1e-10 does not lose digits to 1 − (1 − p).
  const t = invertUpperTail(
    Math.min(p, 1 - p),
    (x) => studentTSf(x, dof),
    (x) => studentTPdf(x, dof)
  )
  return p < 0.5 ? -t : t
}

/** Quantile of the standard normal: the z with Φ(z) = p. */
export function normalQuantile(p: number): number {
  if (!(p >= 0 && p <= 1)) return Number.NaN
  if (p === 0) return Number.NEGATIVE_INFINITY
  if (p === 1) return Number.POSITIVE_INFINITY
  if (p === 0.5) return 0
  const z = invertUpperTail(Math.min(p, 1 - p), normalSf, normalPdf)
  return p < 0.5 ? -z : z
}
