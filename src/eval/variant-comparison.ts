/**
 * @module variant-comparison
 * With two or more instruction variants, each variant after the first is compared with the first
 * (the baseline) per measure, on the queries both were measured on (paired-comparison.ts): mean
 * difference, per-query wins/ties/losses, paired t-test and randomisation test p-values. Also the
 * table rows and chart notes that show them. Pure: the randomisation seed is an argument.
 */
import type { RunEvaluation } from './evaluate-run'
import { MEASURE_LABELS, MEASURE_NAMES, type MeasureName } from './measures'
import { comparePaired, type PairedComparison } from './paired-comparison'
import { formatFixed4 } from './trec-format'

const COMPARISON_ALPHA = 0.05

export interface VariantComparison {
  readonly variant: string
  readonly baseline: string
  readonly measures: Readonly<Record<MeasureName, PairedComparison>>
}

export interface NamedEvaluation {
  readonly name: string
  readonly evaluation: RunEvaluation
}

function perQuery(e: RunEvaluation, m: MeasureName): Map<string, number> {
  return new Map([...e.perQuery].map(([qid, ms]) => [qid, ms[m]]))
}

/** Every variant after the first against the first; [] with fewer than two. */
export function compareVariants(variants: readonly NamedEvaluation[], seed: number): VariantComparison[] {
  const [base, ...rest] = variants
  if (base === undefined) return []
  return rest.map((v, vi) => {
    const measures = {} as Record<MeasureName, PairedComparison>
    MEASURE_NAMES.forEach((m, mi) => {
      // A distinct, reproducible stream per (variant, measure).
      measures[m] = comparePaired(perQuery(base.evaluation, m), perQuery(v.evaluation, m), (seed + 7919 * (vi + 1) + 104729 * mi) >>> 0)
    })
    return { variant: v.name, baseline: base.name, measures }
  })
}

/** "0.0123", "< 0.0001"; "n/a" for an undefined p (a paired t-test without spread). */
function formatP(p: number | null): string {
  if (p === null) return 'n/a'
  return p < 0.0001 ? '< 0.0001' : p.toFixed(4)
}

const below = (p: number | null) => p !== null && p < COMPARISON_ALPHA

const signed4 = (x: number) => (x >= 0 ? '+' : '-') + formatFixed4(Math.abs(x))

/** Rows of the comparison table (header first), one per (variant, measure). */
export function comparisonTableRows(comparisons: readonly VariantComparison[]): string[][] {
  const rows: string[][] = [['variant', 'vs', 'measure', 'mean diff', 'wins/ties/losses', 'paired t p', 'randomisation p']]
  for (const c of comparisons) {
    for (const m of MEASURE_NAMES) {
      const x = c.measures[m]
      rows.push([
        c.variant,
        c.baseline,
        MEASURE_LABELS[m],
        signed4(x.meanDifference),
        `${x.wins}/${x.ties}/${x.losses}`,
        formatP(x.pairedT.p) + (below(x.pairedT.p) ? ' *' : ''),
        formatP(x.randomisation.p) + (below(x.randomisation.p) ? ' *' : ''),
      ])
    }
  }
  return rows
}

/** Lines for the chart: per compared variant a heading, then one line per measure. */
export function comparisonChartNotes(comparisons: readonly VariantComparison[]): string[] {
  return comparisons.flatMap((c) => [
    `${c.variant} vs ${c.baseline}, paired over ${c.measures.ndcg_cut_10.queries} queries (mean difference; wins/ties/losses; p-values):`,
    ...MEASURE_NAMES.map((m) => {
      const x = c.measures[m]
      return `  ${MEASURE_LABELS[m]}: ${signed4(x.meanDifference)}; ${x.wins}/${x.ties}/${x.losses}; paired t p = ${formatP(x.pairedT.p)}, randomisation p = ${formatP(x.randomisation.p)}`
    }),
  ])
}

/** The comparison as JSON (snake_case, as the rest of the eval JSON). */
export function comparisonJson(c: VariantComparison) {
  return {
    variant: c.variant,
    baseline: c.baseline,
    measures: Object.fromEntries(
      MEASURE_NAMES.map((m) => {
        const x = c.measures[m]
        return [
          m,
          {
            queries: x.queries,
            mean_difference: x.meanDifference,
            wins: x.wins,
            ties: x.ties,
            losses: x.losses,
            paired_t: { t: x.pairedT.t, dof: x.pairedT.dof, p_value: x.pairedT.p },
            randomisation: { p_value: x.randomisation.p, method: x.randomisation.method, samples: x.randomisation.samples },
          },
        ]
      })
    ),
  }
}
