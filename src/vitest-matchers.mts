// Types `expect(res).toHaveStatus(200)` and the other matchers of
// `armatureMatchers` once `@armature/core/testing` is imported.
import type {} from 'vitest'

/** The problem fields `toMatchProblem` compares. */
export interface ProblemExpectation {
  status: number
  title?: string
  detail?: string | RegExp
  type?: string
}

/** The assertions `armatureMatchers` adds, for typing `expect(res)`. */
export interface ArmatureMatchers<R = unknown> {
  /** The response has this status. */
  toHaveStatus(status: number): R
  /** The response has this header (with this value, or a value matching this pattern). */
  toHaveHeader(name: string, value?: string | RegExp): R
  /** The response is an `application/problem+json` problem with these fields. */
  toMatchProblem(problem: ProblemExpectation): R
  /** The body, parsed as JSON, equals `expected`. */
  toHaveJsonBody(expected: unknown): R
}

declare module 'vitest' {
  interface Matchers<T = any> extends ArmatureMatchers<T> {}
}
