/** Types for scripts/build-ui.mjs (imported by vitest.config.ts). */
export declare const OUTPUT: string
/** Builds the pages' browser code; writes OUTPUT only when it changed. Resolves to whether it wrote. */
export declare function buildUi(): Promise<boolean>
