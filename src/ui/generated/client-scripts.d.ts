/**
 * Types of the module scripts/build-ui.mjs generates next to this file (client-scripts.js, not
 * committed): each page's browser code (src/ui/client/), bundled into one inline script.
 */

/** src/ui/client/playground.ts and what it imports, as an IIFE. */
export declare const PLAYGROUND_SCRIPT: string
/** src/ui/client/docs.ts and what it imports, as an IIFE. */
export declare const DOCS_SCRIPT: string
