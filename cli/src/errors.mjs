/** A failure reported as one line, without a stack; `code` is the exit code (1 failed, 2 used wrongly). */
export class CliError extends Error {
  constructor(message, code = 1) {
    super(message)
    this.code = code
  }
}
