/**
 * @module lib/json-depth
 * How deeply a parsed JSON value nests. A body is bounded in bytes, not in depth: 8 MiB of `[`
 * nests four million levels, which V8's JSON.parse reads (it is iterative), but V8's
 * JSON.stringify is recursive and throws "Maximum call stack size exceeded" at 50,000 levels
 * (Node 22), so echoing such document metadata back (`return_documents`) would be a 500, and so
 * would any other recursive walk. 32 levels is far more than any metadata a client sends. Pure;
 * the walk is iterative, so it cannot overflow itself.
 */

/** Objects and arrays nested in a request body, the body itself counting as one. */
export const MAX_JSON_DEPTH = 32

/**
 * The path (keys and indices) to the first object or array nested deeper than `maxDepth`, or
 * undefined when none is. `value` itself is at depth 1 when it is an object or an array.
 */
export function firstTooDeep(value: unknown, maxDepth: number = MAX_JSON_DEPTH): Array<string | number> | undefined {
  if (typeof value !== 'object' || value === null) return undefined
  // Each frame keeps its parent and key instead of a copied path: the walk runs on every request
  // body (a cached rerank call of 1,000 plain strings visits one array and pushes nothing).
  const stack: Frame[] = [{ node: value, depth: 1, parent: undefined, key: '' }]
  for (let top = stack.pop(); top !== undefined; top = stack.pop()) {
    if (top.depth > maxDepth) return pathOf(top)
    const node = top.node
    // Pushed in reverse so the first too-deep value in document order is the one found.
    if (Array.isArray(node)) {
      for (let i = node.length - 1; i >= 0; i--) {
        const child: unknown = node[i]
        if (typeof child === 'object' && child !== null) stack.push({ node: child, depth: top.depth + 1, parent: top, key: i })
      }
    } else {
      const keys = Object.keys(node)
      for (let i = keys.length - 1; i >= 0; i--) {
        const key = keys[i] as string
        const child: unknown = (node as Record<string, unknown>)[key]
        if (typeof child === 'object' && child !== null) stack.push({ node: child, depth: top.depth + 1, parent: top, key })
      }
    }
  }
  return undefined
}

interface Frame {
  node: object
  depth: number
  parent: Frame | undefined
  key: string | number
}

function pathOf(frame: Frame): Array<string | number> {
  const path: Array<string | number> = []
  for (let f: Frame | undefined = frame; f?.parent !== undefined; f = f.parent) path.push(f.key)
  return path.reverse()
}
