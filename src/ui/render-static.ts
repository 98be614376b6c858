/**
 * @module ui/render-static
 * Renders page markup written in hono/jsx (typed, escaped by the renderer) to an HTML string.
 * The pages' markup is static: an async component (a Promise) would be a bug, and is reported.
 */
import type { JSX } from 'hono/jsx/jsx-runtime'

export function renderStatic(node: JSX.Element): string {
  if (node instanceof Promise) throw new Error('page markup must render synchronously (no async components)')
  // A JSX node renders itself in toString(); it answers a Promise when a child is async.
  const html: unknown = node.toString()
  if (typeof html !== 'string') throw new Error('page markup must render synchronously (no async components)')
  return html
}
