/**
 * @module trec-format
 * trec_eval's text output: `measure<TAB>qid|all<TAB>value`, values as C `printf("%6.4f")`
 * (usnistgov/trec_eval `meas_print_final.c`). trec_eval pads the measure name to 22 columns before
 * the tab; we write the bare name so the line splits cleanly on tabs (whitespace-splitting readers
 * see the same three fields either way).
 */
import { MEASURE_NAMES, type Measures } from './measures'

/**
 * `%.4f` as glibc prints it: the exact binary value rounded to 4 decimals, an exact tie going to
 * the even digit. `Number#toFixed` agrees except on exact ties, which it rounds up (e.g. 1/32 =
 * 0.03125: glibc "0.0312", toFixed "0.0313"); such ties are detected from the exact expansion.
 */
export function formatFixed4(x: number): string {
  if (!Number.isFinite(x)) return String(x)
  const exact = Math.abs(x).toFixed(100) // exact decimal expansion of the double (100 digits suffice for ties)
  const dot = exact.indexOf('.')
  const tail = exact.slice(dot + 5)
  if (/^50*$/.test(tail)) {
    const truncated = exact.slice(0, dot + 5)
    const lastDigit = Number(truncated.at(-1))
    return (x < 0 ? '-' : '') + (lastDigit % 2 === 0 ? truncated : addOneUlp4(truncated))
  }
  return x.toFixed(4)
}

/** Adds 0.0001 to a non-negative "d…d.dddd" string exactly. */
function addOneUlp4(fixed: string): string {
  const digits = (BigInt(fixed.replace('.', '')) + 1n).toString().padStart(5, '0')
  return `${digits.slice(0, -4)}.${digits.slice(-4)}`
}

/** trec_eval-style lines for the reported measures of one query (or `all`). */
export function formatTrecLines(measures: Measures, qid = 'all'): string {
  return MEASURE_NAMES.map((name) => `${name}\t${qid}\t${formatFixed4(measures[name])}\n`).join('')
}
