/**
 * The errors Armature throws: each carries a `code` from the one list in
 * `crates/wire` (generated into `./generated/errors.ts`), which the engine
 * and the binding throw from too.
 */
import { Code, ERROR_CODES, type ErrorCode } from './generated/errors.js'

export { Code, ERROR_CODES, type ErrorCode }

/** The `Error` classes a coded error may be. */
type ErrorClass = new (message: string, options?: ErrorOptions) => Error

/**
 * An error of `type` (`Error` unless told) whose `code` is `code`; `props`
 * are set on it too, `cause` as the standard option.
 */
export function codedError(
  code: Code,
  message: string,
  props?: { cause?: unknown; [name: string]: unknown },
  type: ErrorClass = Error,
): Error & { code: ErrorCode } {
  const { cause, ...rest } = props ?? {}
  const error = new type(message, cause === undefined ? undefined : { cause })
  return Object.assign(error, rest, { code: code as ErrorCode })
}
