/**
 * A/A calibration of the experiment report: thousands of simulated experiments whose two arms are
 * identical, with heterogeneous users (bench/lib/ab-simulation.ts: heavy and light searchers,
 * clicks correlated within a user), run through the same pure code the report route runs
 * (`aggregateUnits` → `buildExperimentReport`, src/experiments/report.ts). At α = 0.05:
 *  - the Welch test, read once at the end, must flag 5 % ± 1 of A/A experiments per metric;
 *  - the sequential test, read after every batch of exposures (continuous peeking), ≤ 5 %;
 *  - a known effect (treatment logits shifted) must be found: the power of each test is stated.
 * For comparison, the same data analysed per exposure (each search an independent observation, the
 * analysis this report replaced: gbstats proportions/means over exposures, `welchTest`).
 * Wilson 95 % intervals on every rate. Seeded (AB_SEED, printed); AB_EXPERIMENTS / AB_POWER_RUNS
 * scale it down for a quick look.
 *
 *   npm run bench -- ab-calibration
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { buildExperimentReport, REPORT_METRICS, type ReportMetric } from '../src/experiments/report'
import type { ExperimentRecord } from '../src/experiments/experiment-schema'
import { armFromCounts, armFromSums } from '../src/experiments/stats/arm-stat'
import { welchTest } from '../src/experiments/stats/welch-test'
import { aggregateUnits } from '../src/experiments/unit-aggregate'
import { MIN_EFFECTIVE_UNITS } from '../src/experiments/report'
import { makeRng, makeUser, NO_EFFECT, powerLawSearches, search, shuffle, type Effect, type SearchOutcome, type SimUser } from './lib/ab-simulation'

const SEED = Number(process.env.AB_SEED ?? 20261203) >>> 0
const AA_RUNS = Number(process.env.AB_EXPERIMENTS ?? 6000)
const POWER_RUNS = Number(process.env.AB_POWER_RUNS ?? 1000)
const USERS = 2000
/** Exposures between two reads of the report (continuous peeking). */
const BATCH = 500
const ALPHA = 0.05
/** The known effect: logit shifts for treatment users (the bench prints the mean relative lift it makes). */
const EFFECT: Effect = { top1: 0.4, lower: 0.3, conversion: 0.4, quality: 0.3 }

const experiment: ExperimentRecord = {
  id: 'aa',
  name: 'A/A',
  description: '',
  status: 'running',
  variants: [
    { key: 'control', weight: 0.5, instruction: 'Prefer official documentation' },
    { key: 'treatment', weight: 0.5, instruction: 'Prefer official documentation' },
  ],
  coverage: 1,
  seed: null,
  hash_version: 2,
  version: 1,
  created_at: '2026-01-01T00:00:00.000Z',
  updated_at: '2026-01-01T00:00:00.000Z',
  started_at: '2026-01-01T00:00:00.000Z',
  stopped_at: null,
}

/** Per-arm exposure-level sums for the old analysis. */
class ExposureSums {
  n = 0
  top1 = 0
  rr = 0
  rrSq = 0
  conv = 0
  graded = 0
  ndcg = 0
  ndcgSq = 0
  add(o: SearchOutcome): void {
    this.n++
    this.top1 += o.top1
    this.rr += o.rr
    this.rrSq += o.rr * o.rr
    this.conv += o.converted
    if (o.ndcg !== null) {
      this.graded++
      this.ndcg += o.ndcg
      this.ndcgSq += o.ndcg * o.ndcg
    }
  }
}

/** The old report's decision per metric: exposures as independent observations. */
function exposureLevelSignificant(a: ExposureSums, b: ExposureSums): Record<ReportMetric, boolean> {
  const sig = (x: ReturnType<typeof welchTest>) => x.relative !== null && x.relative.pValue < ALPHA
  return {
    ctr_at_1: sig(welchTest(armFromCounts({ n: a.n, x: a.top1 }), armFromCounts({ n: b.n, x: b.top1 }))),
    mrr: sig(welchTest(armFromSums({ n: a.n, sum: a.rr, sumSquares: a.rrSq }), armFromSums({ n: b.n, sum: b.rr, sumSquares: b.rrSq }))),
    ndcg_at_10: sig(welchTest(armFromSums({ n: a.graded, sum: a.ndcg, sumSquares: a.ndcgSq }), armFromSums({ n: b.graded, sum: b.ndcg, sumSquares: b.ndcgSq }))),
    conversion_rate: sig(welchTest(armFromCounts({ n: a.n, x: a.conv }), armFromCounts({ n: b.n, x: b.conv }))),
  }
}

interface Outcome {
  welch: Record<ReportMetric, boolean>
  /** Welch read once: at least one of the four metrics flagged. */
  anyWelch: boolean
  /** Sequential: p < α at any read. */
  sequentialPeeking: Record<ReportMetric, boolean>
  /** Welch read at every batch and stopped at the first p < α (what the fixed-horizon note warns about). */
  welchPeeking: Record<ReportMetric, boolean>
  exposureLevel: Record<ReportMetric, boolean>
  srm: boolean
  /** Relative lift per metric at the end (mean over runs = the effect's size). */
  lift: Record<ReportMetric, number>
  exposures: number
  heavyShare: number
}

const none = (): Record<ReportMetric, boolean> => ({ ctr_at_1: false, mrr: false, ndcg_at_10: false, conversion_rate: false })

function runExperiment(rng: () => number, effect: Effect): Outcome {
  const users: SimUser[] = Array.from({ length: USERS }, () => makeUser(rng, rng() < 0.5 ? 0 : 1, effect))
  const timeline: number[] = []
  users.forEach((u, i) => {
    for (let k = 0; k < u.searches; k++) timeline.push(i)
  })
  shuffle(rng, timeline)
  const sums = [new ExposureSums(), new ExposureSums()] as const
  const o: Outcome = { welch: none(), anyWelch: false, sequentialPeeking: none(), welchPeeking: none(), exposureLevel: none(), srm: false, lift: { ctr_at_1: 0, mrr: 0, ndcg_at_10: 0, conversion_rate: 0 }, exposures: timeline.length, heavyShare: 0 }
  const active: SimUser[] = []
  for (let start = 0; start < timeline.length; start += BATCH) {
    const end = Math.min(timeline.length, start + BATCH)
    for (let i = start; i < end; i++) {
      const u = users[timeline[i] as number] as SimUser
      if (u.row.exposures === 0) active.push(u)
      sums[u.row.variantIndex === 0 ? 0 : 1].add(search(rng, u))
    }
    const aggregates = aggregateUnits(
      active.map((u) => u.row),
      2
    )
    const seq = buildExperimentReport(experiment, aggregates, { generatedAt: 'sim', method: 'sequential', alpha: ALPHA })
    const welch = buildExperimentReport(experiment, aggregates, { generatedAt: 'sim', method: 'welch', alpha: ALPHA })
    for (const m of REPORT_METRICS) {
      if (seq.comparisons[0]?.metrics[m].significant) o.sequentialPeeking[m] = true
      if (welch.comparisons[0]?.metrics[m].significant) o.welchPeeking[m] = true
    }
    if (end === timeline.length) {
      for (const m of REPORT_METRICS) {
        o.welch[m] = welch.comparisons[0]?.metrics[m].significant ?? false
        o.lift[m] = welch.comparisons[0]?.metrics[m].relative?.estimate ?? 0
      }
      o.anyWelch = REPORT_METRICS.some((m) => o.welch[m])
      o.srm = welch.srm.mismatch
    }
  }
  o.exposureLevel = exposureLevelSignificant(sums[0], sums[1])
  o.heavyShare = users.filter((u) => u.searches >= 5).reduce((s, u) => s + u.searches, 0) / timeline.length
  return o
}

/** Wilson score 95 % interval of k successes in n. */
function wilson(k: number, n: number): [number, number] {
  const z = 1.959963984540054
  const p = k / n
  const d = 1 + (z * z) / n
  const c = (p + (z * z) / (2 * n)) / d
  const h = (z * Math.sqrt((p * (1 - p)) / n + (z * z) / (4 * n * n))) / d
  return [c - h, c + h]
}
const pct = (k: number, n: number) => {
  const [lo, hi] = wilson(k, n)
  return `${((100 * k) / n).toFixed(1)} % (${(100 * lo).toFixed(1)}–${(100 * hi).toFixed(1)})`
}

type Counter = Record<'welch' | 'sequentialPeeking' | 'welchPeeking' | 'exposureLevel', Record<ReportMetric, number>>
function tally(runs: number, effect: Effect, rng: () => number, label: string) {
  const zero = () => ({ ctr_at_1: 0, mrr: 0, ndcg_at_10: 0, conversion_rate: 0 })
  const c: Counter = { welch: zero(), sequentialPeeking: zero(), welchPeeking: zero(), exposureLevel: zero() }
  let srm = 0
  let anyWelch = 0
  const lift = { ctr_at_1: 0, mrr: 0, ndcg_at_10: 0, conversion_rate: 0 }
  let exposures = 0
  let heavy = 0
  const t0 = performance.now()
  for (let i = 0; i < runs; i++) {
    const o = runExperiment(rng, effect)
    for (const k of Object.keys(c) as Array<keyof Counter>) for (const m of REPORT_METRICS) if (o[k][m]) c[k][m]++
    if (o.srm) srm++
    if (o.anyWelch) anyWelch++
    for (const m of REPORT_METRICS) lift[m] += o.lift[m] / runs
    exposures += o.exposures
    heavy += o.heavyShare
    if ((i + 1) % 500 === 0) process.stderr.write(`${label}: ${i + 1}/${runs} (${((performance.now() - t0) / 1000).toFixed(0)} s)\n`)
  }
  return { c, srm, anyWelch, lift, meanExposures: exposures / runs, heavyShare: heavy / runs, seconds: (performance.now() - t0) / 1000 }
}

/**
 * Small and concentrated samples: A/A experiments read once with Welch's test, where the normal
 * approximation is weakest (few users, or a few users making most of the searches), split by
 * whether the report's effective-units note fired (report.ts MIN_EFFECTIVE_UNITS).
 */
const CONC_RUNS = Number(process.env.AB_CONC_RUNS ?? 2000)
const CONCENTRATED: Array<{ label: string; users: number; searchesOf?: (rng: () => number) => number }> = [
  { label: '100 users, the mix above', users: 100 },
  { label: '2,000 users, Pareto(2.5) tail capped at 200', users: 2000, searchesOf: powerLawSearches(2.5, 200) },
  { label: '2,000 users, Pareto(1.3) tail capped at 3,000', users: 2000, searchesOf: powerLawSearches(1.3, 3000) },
  { label: '20,000 users, Pareto(1.3) tail capped at 3,000', users: 20000, searchesOf: powerLawSearches(1.3, 3000) },
]
function concentrated(rng: () => number, users: number, searchesOf: ((rng: () => number) => number) | undefined) {
  const flagged = { noted: 0, notedFp: 0, clear: 0, clearFp: 0, any: 0 }
  const perMetric = { ctr_at_1: 0, mrr: 0, ndcg_at_10: 0, conversion_rate: 0 }
  const effective: number[] = []
  for (let r = 0; r < CONC_RUNS; r++) {
    const rows = Array.from({ length: users }, () => {
      const u = makeUser(rng, rng() < 0.5 ? 0 : 1, NO_EFFECT, searchesOf)
      for (let k = 0; k < u.searches; k++) search(rng, u)
      return u.row
    })
    const report = buildExperimentReport(experiment, aggregateUnits(rows, 2), { generatedAt: 'sim', method: 'welch', alpha: ALPHA })
    const metrics = report.comparisons[0]?.metrics
    for (const m of REPORT_METRICS) if (metrics?.[m].significant) perMetric[m]++
    const fp = metrics?.ctr_at_1.significant === true
    const noted = report.notes.some((n) => n.includes('effective_units'))
    effective.push(Math.min(...report.arms.map((a) => a.effective_units)))
    if (noted) {
      flagged.noted++
      if (fp) flagged.notedFp++
    } else {
      flagged.clear++
      if (fp) flagged.clearFp++
    }
  }
  effective.sort((a, b) => a - b)
  return { flagged, perMetric, effectiveMedian: effective[effective.length >> 1] ?? 0 }
}

const cpu0 = process.cpuUsage()
console.log(`ab-calibration: seed ${SEED}, ${AA_RUNS} A/A + ${POWER_RUNS} effect experiments of ${USERS} users, read every ${BATCH} exposures`)
const rng = makeRng(SEED)
const aa = tally(AA_RUNS, NO_EFFECT, rng, 'A/A')
const power = tally(POWER_RUNS, EFFECT, rng, 'effect')
const t1 = performance.now()
const concentratedRows = CONCENTRATED.map((s) => {
  const c = concentrated(rng, s.users, s.searchesOf)
  process.stderr.write(`concentrated: ${s.label} done\n`)
  const f = c.flagged
  return `| ${s.label} | ${c.effectiveMedian.toFixed(0)} | ${REPORT_METRICS.map((m) => pct(c.perMetric[m], CONC_RUNS)).join(' | ')} | ${pct(f.noted, CONC_RUNS)} | ${f.noted > 0 ? pct(f.notedFp, f.noted) : '—'} | ${f.clear > 0 ? pct(f.clearFp, f.clear) : '—'} |`
})
const concentratedSeconds = (performance.now() - t1) / 1000
const cpu = process.cpuUsage(cpu0)

const LABELS: Record<ReportMetric, string> = { ctr_at_1: 'CTR@1', mrr: 'MRR', ndcg_at_10: 'nDCG@10', conversion_rate: 'conversion' }
const rows = REPORT_METRICS.map(
  (m) =>
    `| ${LABELS[m]} | **${pct(aa.c.welch[m], AA_RUNS)}** | **${pct(aa.c.sequentialPeeking[m], AA_RUNS)}** | ${pct(aa.c.welchPeeking[m], AA_RUNS)} | ${pct(aa.c.exposureLevel[m], AA_RUNS)} | ${pct(power.c.welch[m], POWER_RUNS)} | ${pct(power.c.sequentialPeeking[m], POWER_RUNS)} |`
)
const welchOk = REPORT_METRICS.every((m) => Math.abs(aa.c.welch[m] / AA_RUNS - 0.05) <= 0.01)
const seqOk = REPORT_METRICS.every((m) => aa.c.sequentialPeeking[m] / AA_RUNS <= 0.05)
const md = `## Experiments: A/A calibration of the report (false positives and power)

Command: \`npm run bench -- ab-calibration\` (bench/ab-calibration.bench.ts, seed ${SEED}). ${AA_RUNS} simulated A/A
experiments (both arms identical) and ${POWER_RUNS} with a known effect, ${USERS} users each, split 50/50 at random.
Users are heterogeneous (bench/lib/ab-simulation.ts): 80 % light searchers (mean 2 searches), 20 % heavy
(mean 15) who make ${(100 * aa.heavyShare).toFixed(0)} % of the searches and click more; each user has their own rank-1 click, lower-click,
conversion and result-quality propensities, so clicks are correlated within a user; 20 % of searches are graded.
Mean ${aa.meanExposures.toFixed(0)} exposures per experiment. Every read goes through the report's own pure code
(\`aggregateUnits\` → \`buildExperimentReport\`, as \`GET /v1/experiments/{id}/report\`): ratio metrics over users,
delta-method variance. "Significant" is the report's flag (the absolute difference's test, p < α = 0.05). Rates with Wilson 95 % intervals.

| metric | Welch, read once (A/A) | sequential, read every ${BATCH} exposures (A/A) | Welch, read every ${BATCH} (A/A) | old per-exposure Welch (A/A) | power: Welch | power: sequential, peeking |
|---|---:|---:|---:|---:|---:|---:|
${rows.join('\n')}

- Welch within 5 % ± 1 for every metric: **${welchOk ? 'yes' : 'NO'}**; sequential ≤ 5 % under continuous peeking: **${seqOk ? 'yes' : 'NO'}**.
- The per-exposure column is the analysis this report replaced (\`unit_of_analysis: "exposure"\`): the same
  data, every search an independent observation. Welch read at every batch shows why the sequential test exists.
- Known effect (treatment logit shifts: rank-1 click +${EFFECT.top1}, lower clicks +${EFFECT.lower}, conversion +${EFFECT.conversion},
  quality +${EFFECT.quality}), a mean relative lift of ${REPORT_METRICS.map((m) => `${LABELS[m]} ${(100 * power.lift[m]).toFixed(1)} %`).join(', ')}
  (A/A: ${REPORT_METRICS.map((m) => `${(100 * aa.lift[m]).toFixed(2)} %`).join(', ')}); the sequential test pays for always-valid reads with lower power (tuning N* = 5000 users, default).
- SRM (units, p < 0.001) flagged in ${pct(aa.srm, AA_RUNS)} of A/A experiments.
- At least one of the four metrics flagged (Welch, read once) in ${pct(aa.anyWelch, AA_RUNS)} of A/A experiments: each
  metric is tested at α, so the report asks for the deciding metric to be chosen before the experiment starts.

### Small and concentrated samples

${CONC_RUNS} A/A experiments per row, read once with Welch's test (α = ${ALPHA}). The delta method's normal
approximation needs many users of comparable weight; these rows break that on purpose: few users, or
searches per user with a power-law tail (bench/lib/ab-simulation.ts \`powerLawSearches\`: 70 % light, 25 % medium,
5 % "power users" from 20 searches up, heavier users clicking more). "Effective users" is the smaller arm's
\`effective_units\` in the report, (Σ searches)² / Σ searches² (Kish), median over the experiments; the report adds a
note when an arm has fewer than ${MIN_EFFECTIVE_UNITS}. The last two columns split the CTR@1 false positives by that note.

| users and searches | effective users (median) | CTR@1 | MRR | nDCG@10 | conversion | note given | CTR@1 flagged, with the note | CTR@1 flagged, without |
|---|---:|---:|---:|---:|---:|---:|---:|---:|
${concentratedRows.join('\n')}

- Cost: ${aa.seconds.toFixed(0)} s + ${power.seconds.toFixed(0)} s + ${concentratedSeconds.toFixed(0)} s wall, ${((cpu.user + cpu.system) / 1e6).toFixed(0)} s process CPU (busy shared machine).
`
console.log(md)
mkdirSync('bench/results', { recursive: true })
writeFileSync('bench/results/ab-calibration.md', md)
if (!welchOk || !seqOk) process.exitCode = 1
