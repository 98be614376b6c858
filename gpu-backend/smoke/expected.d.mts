/** Types of expected.mjs for the TypeScript tests that import it (test/unit/gpu-backend). */
export interface SmokeRequest {
  name: string
  instruction: string
  query: string
  documents: string[]
  order: number[]
}
export interface ExpectedRequest {
  name: string
  query: string
  documents: string[]
  order: number[]
  pair_tokens: number[]
  prompt_tokens: number
}
export interface Expected {
  generated_by: string
  requests: ExpectedRequest[]
  long: { query: string; head: string; tail: string; first: string; unit: string; base_tokens: number }
}
export declare const SMOKE_REQUESTS: SmokeRequest[]
export declare const LONG_PAIR: { query: string; instruction: string; first: string; unit: string }
export declare function buildExpected(deps: {
  count: (text: string) => number
  formatQuery: (instruction: string, query: string) => string
  formatDocument: (doc: string) => string
}): Expected
