/**
 * @module documents/iso-date
 * A strict, clock-free ISO-8601 parser for `published_at` and the request's `now`.
 *
 * Why not `Date.parse`: its handling of anything but the exact ECMAScript date-time format is
 * implementation-defined, and a date-time without an offset is read in the *host's* local zone
 * (ECMA-262 §21.4.3.2), so the same request would decay differently on two machines. Here:
 *  - accepted forms (ISO 8601 / RFC 3339 profile): `YYYY`, `YYYY-MM`, `YYYY-MM-DD`, and
 *    `YYYY-MM-DD[T| ]HH:MM[:SS[.fraction]][Z|±HH:MM|±HHMM]`;
 *  - a missing offset means UTC (the only reading that does not depend on where the code runs);
 *  - a reduced-precision date means the start of that period (`2024-03` → 2024-03-01T00:00Z);
 *  - calendar validity is checked (no 2023-02-29, no month 13); a leap second `:60` counts as `:59`.
 */

export interface IsoDate {
  /** Milliseconds since the epoch (UTC) of the instant the string names. */
  instantMs: number
  /** The calendar date as written (the author's local date, not converted to UTC). */
  year: number
  month: number | undefined
  day: number | undefined
}

const ISO_RE =
  /^(\d{4})(?:-(\d{2})(?:-(\d{2})(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?(Z|z|[+-]\d{2}(?::?\d{2})?)?)?)?)?$/

/** Parses an ISO-8601 date or date-time (see module doc); `undefined` when it is not one. */
export function parseIsoDate(input: string): IsoDate | undefined {
  const m = ISO_RE.exec(input.trim())
  if (m === null) return undefined
  const year = Number(m[1])
  const month = m[2] === undefined ? undefined : Number(m[2])
  const day = m[3] === undefined ? undefined : Number(m[3])
  const hour = m[4] === undefined ? 0 : Number(m[4])
  const minute = m[5] === undefined ? 0 : Number(m[5])
  const second = m[6] === undefined ? 0 : Math.min(Number(m[6]), 59)
  const ms = m[7] === undefined ? 0 : Number(m[7].slice(0, 3).padEnd(3, '0'))
  if (month !== undefined && (month < 1 || month > 12)) return undefined
  if (day !== undefined && (day < 1 || day > daysInMonth(year, month ?? 1))) return undefined
  if (hour > 23 || minute > 59 || Number(m[6] ?? 0) > 60) return undefined

  let offsetMinutes = 0
  const tz = m[8]
  if (tz !== undefined && tz !== 'Z' && tz !== 'z') {
    const sign = tz.startsWith('-') ? -1 : 1
    const digits = tz.slice(1).replace(':', '')
    const oh = Number(digits.slice(0, 2))
    const om = digits.length > 2 ? Number(digits.slice(2, 4)) : 0
    if (oh > 23 || om > 59) return undefined
    offsetMinutes = sign * (oh * 60 + om)
  }

  // setUTCFullYear, not Date.UTC: Date.UTC maps years 0–99 to 1900–1999.
  const d = new Date(0)
  d.setUTCFullYear(year, (month ?? 1) - 1, day ?? 1)
  d.setUTCHours(hour, minute, second, ms)
  const instantMs = d.getTime() - offsetMinutes * 60_000
  if (!Number.isFinite(instantMs)) return undefined
  return { instantMs, year, month, day }
}

/** Milliseconds since the epoch for an ISO-8601 string, or `undefined` when it is not one. */
export function parseIsoInstant(input: string): number | undefined {
  return parseIsoDate(input)?.instantMs
}

function daysInMonth(year: number, month: number): number {
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0
  return [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1] ?? 0
}
