/**
 * @module eval-input-error
 * What the offline evaluation throws for a malformed qrels, run or data file. It is not an
 * `ApiError`: no HTTP caller ever sees it; the CLI prints its message and exits non-zero.
 */
export class EvalInputError extends Error {
  override readonly name = 'EvalInputError'
  /** 1-based line number in the input, when the problem is on one line. */
  readonly line: number | undefined

  constructor(message: string, line?: number) {
    super(line === undefined ? message : `line ${line}: ${message}`)
    this.line = line
  }
}
