/**
 * @module openapi/report-doc-schema
 * The experiment report as `GET /openapi.json` describes it (`ExperimentReport`): a zod mirror of
 * experiments/report.ts `ExperimentReport`. Strict objects, so a field the report gains or loses
 * without this schema fails the workerd test that validates a real report against the published
 * document (test/integration/openapi.test.ts); the type checks at the bottom keep the two in step
 * at compile time as well.
 */
import { z } from 'zod'
import type { ExperimentReport } from '../experiments/report'
import { SEQUENTIAL_METHOD } from '../experiments/stats/sequential-test'
import { WELCH_METHOD } from '../experiments/stats/welch-test'

const interval = z.tuple([z.number(), z.number()])
const count = z.number().int().min(0)

const perMetric = <T extends z.ZodType>(schema: T) =>
  z.strictObject({ ctr_at_1: schema, mrr: schema, ndcg_at_10: schema, conversion_rate: schema })

const armMetricSchema = z.strictObject({
  n: count.describe('Users the metric is over (users with a graded search for nDCG@10).'),
  exposures: count.describe("The ratio's denominator: searches (graded searches for nDCG@10)."),
  mean: z.number(),
  variance: z.number().min(0).describe('Per-user delta-method variance of the ratio.'),
  ci: interval.nullable().describe("The arm mean's interval; null with fewer than 2 users."),
})

const effectSchema = z.strictObject({
  estimate: z.number(),
  se: z.number().min(0),
  ci: interval,
  p_value: z.number().min(0).max(1),
})

const testError = z.enum(['too_few_units', 'zero_variance', 'baseline_zero'])

const metricComparisonSchema = z.strictObject({
  absolute: effectSchema.nullable().describe('Treatment − control: the test `significant` reads.'),
  relative: effectSchema.nullable().describe('(treatment − control) / |control| with its delta-method interval: descriptive.'),
  dof: z.number().nullable(),
  significant: z.boolean().describe('`absolute.p_value` < α, equivalently `absolute.ci` excludes 0.'),
  error: testError.nullable().describe('Why there is no test at all.'),
  relative_error: testError.nullable().describe('Why there is no relative lift.'),
  few_events: z.boolean().describe('The metric is recorded but an arm has fewer than 10 events or non-events: not yet trustworthy.'),
})

const armSchema = z.strictObject({
  key: z.string(),
  index: count,
  weight: z.number().min(0),
  control: z.boolean(),
  exposures: count,
  units: count.describe('Distinct users with an exposure.'),
  effective_units: z.number().min(0).describe('(Σ searches)² / Σ searches²: how many equally active users the searches amount to.'),
  clicked_exposures: count,
  top1_clicks: count,
  graded_exposures: count,
  conversions: count,
  conversion_value: z.number(),
  feedback_events: z
    .strictObject({ clicks: count, grades: count, conversions: count })
    .describe('Feedback rows recorded for the arm’s searches, by kind.'),
  metrics: perMetric(armMetricSchema),
})

export const experimentReportSchema = z
  .strictObject({
    experiment: z.strictObject({
      id: z.string(),
      name: z.string(),
      status: z.enum(['draft', 'running', 'stopped']),
      coverage: z.number(),
      started_at: z.string().nullable(),
      stopped_at: z.string().nullable(),
      version: z.number().int(),
    }),
    generated_at: z.string(),
    method: z.strictObject({
      id: z.enum([WELCH_METHOD, SEQUENTIAL_METHOD]),
      name: z.string(),
      alpha: z.number(),
      confidence_level: z.number(),
      unit_of_analysis: z.literal('user'),
      metric_type: z.literal('ratio_delta_method'),
      sequential_tuning: z.number().optional(),
    }),
    totals: z.strictObject({ exposures: count, units: count }),
    trustworthy: z.boolean().describe('False while the report cannot be acted on yet: sample-ratio mismatch, too few (effective) users, or too few events of a recorded metric.'),
    untrusted_reason: z.string().optional().describe('Why not, when `trustworthy` is false; absent otherwise.'),
    arms: z.array(armSchema),
    comparisons: z.array(
      z.strictObject({
        variant: z.string(),
        variant_index: count,
        control: z.string(),
        metrics: perMetric(metricComparisonSchema),
      })
    ),
    srm: z.strictObject({
      basis: z.literal('units'),
      observed: z.array(count),
      expected: z.array(z.number().min(0)),
      weights: z.array(z.number().min(0)),
      assigned_shares: z.array(z.number().min(0).max(1)).describe('Each arm’s expected share of the users: its weight over the weights’ sum.'),
      observed_shares: z.array(z.number().min(0).max(1)).nullable().describe('Each arm’s observed share of the users; null before the first.'),
      chi2: z.number().min(0),
      dof: count,
      p_value: z.number().min(0).max(1),
      threshold: z.number(),
      mismatch: z.boolean(),
      zero_weight_units: count,
    }),
    notes: z.array(z.string()),
  })
  .describe('The experiment report: per-arm counts and metrics over users, each treatment against the control, the sample-ratio check, and whether it can be trusted yet.')

// A compile error here means ExperimentReport and this schema drifted apart.
type Documented = z.infer<typeof experimentReportSchema>
const reportIsDocumented = (r: ExperimentReport): Documented => r
const documentedIsReport = (r: Documented): ExperimentReport => r
void reportIsDocumented
void documentedIsReport
