import { describe, expect, it } from 'vitest'
import { parseIsoDate, parseIsoInstant } from './iso-date'

describe('parseIsoDate', () => {
  it('reads reduced precision as the start of the period, in UTC', () => {
    expect(parseIsoInstant('2024')).toBe(Date.UTC(2024, 0, 1))
    expect(parseIsoInstant('2024-03')).toBe(Date.UTC(2024, 2, 1))
    expect(parseIsoInstant('2024-03-15')).toBe(Date.UTC(2024, 2, 15))
  })

  it('reads a date-time without offset as UTC and applies offsets', () => {
    expect(parseIsoInstant('2024-03-15T10:20')).toBe(Date.UTC(2024, 2, 15, 10, 20))
    expect(parseIsoInstant('2024-03-15T10:20:30.1234Z')).toBe(Date.UTC(2024, 2, 15, 10, 20, 30, 123))
    expect(parseIsoInstant('2024-03-15T10:00:00+08:00')).toBe(Date.UTC(2024, 2, 15, 2))
    expect(parseIsoInstant('2024-03-15 10:00:00-0530')).toBe(Date.UTC(2024, 2, 15, 15, 30))
  })

  it('keeps the calendar date as written, not converted to UTC', () => {
    expect(parseIsoDate('2024-03-31T23:30:00-05:00')).toMatchObject({ year: 2024, month: 3, day: 31 })
    expect(parseIsoInstant('2024-03-31T23:30:00-05:00')).toBe(Date.UTC(2024, 3, 1, 4, 30))
  })

  it('handles years below 100 without the Date.UTC 19xx mapping', () => {
    expect(new Date(parseIsoInstant('0050-06-01') ?? NaN).getUTCFullYear()).toBe(50)
  })

  it.each(['', 'yesterday', '2024-13', '2023-02-29', '2024-04-31', '2024-03-15T24:00', '2024-03-15T10:00+25:00', '15/03/2024', '2024-3-5'])(
    'rejects %j',
    (s) => {
      expect(parseIsoDate(s)).toBeUndefined()
    },
  )

  it('accepts a leap day and a leap second', () => {
    expect(parseIsoInstant('2024-02-29')).toBe(Date.UTC(2024, 1, 29))
    expect(parseIsoInstant('2016-12-31T23:59:60Z')).toBe(Date.UTC(2016, 11, 31, 23, 59, 59))
  })
})
