/**
 * @module server-timing
 * Formats a `Server-Timing` header (W3C Server Timing) from named durations in ms.
 */
export function serverTiming(entries: Record<string, number>): string {
  return Object.entries(entries)
    .map(([name, ms]) => `${name};dur=${Math.max(0, ms).toFixed(2)}`)
    .join(', ')
}
