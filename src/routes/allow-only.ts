/**
 * @module routes/allow-only
 * Moved to lib/allow-only.ts (a handler every sub-app shares, not a route). This re-export only
 * keeps routes/docs.ts and routes/playground.ts (being reworked in parallel) compiling; delete it
 * once they import lib/allow-only.ts.
 */
export { allowOnly } from '../lib/allow-only'
