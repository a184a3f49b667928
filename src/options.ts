import { closest, distance } from 'fastest-levenshtein'
import { Code, codedError } from './errors.js'
import { binding } from './native.js'

/**
 * What an option accepts: a `typeof` name, or a check that returns what is
 * accepted when the value is not.
 */
export type Rule = Kind | readonly Kind[] | ((value: unknown) => string | undefined)
type Kind = 'number' | 'string' | 'boolean' | 'object'

function isKind(value: unknown, kind: Kind): boolean {
  return kind === 'object' ? value !== null && typeof value === 'object' && !Array.isArray(value) : typeof value === kind
}

const article = (kind: Kind) => (kind === 'object' ? 'an object' : `a ${kind}`)

/** Every key of `T`, each with its rule: the one list of a TS-only shape's keys. */
export type Shape<T> = { readonly [K in keyof Required<T>]: Rule }

function invalid(message: string): Error {
  return codedError(Code.InvalidOption, message, undefined, TypeError)
}

function describe(value: unknown): string {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'an array'
  if (typeof value === 'string') return `'${value}'`
  if (typeof value === 'number' || typeof value === 'boolean') return String(value)
  return `a ${typeof value}`
}

/**
 * Checks an options object against its shape: an unknown key or a value of
 * the wrong kind throws `ERR_ARMATURE_INVALID_OPTION` naming its path (and
 * the closest valid key for a typo). `undefined` values count as absent.
 * Values are checked further where they are used (ranges, in Rust).
 */
export function checkOptions(path: string, options: unknown, shape: Readonly<Record<string, Rule>>): void {
  const where = (key: string) => (path === '' ? key : `${path}.${key}`)
  if (options === undefined) return
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw invalid(`${path === '' ? 'options' : path} must be an object, got ${describe(options)}`)
  }
  const keys = Object.keys(shape)
  for (const [key, value] of Object.entries(options)) {
    // `hasOwn`: `constructor` and `__proto__` are no options either.
    if (!Object.hasOwn(shape, key)) {
      const near = keys.length > 0 ? closest(key, keys) : undefined
      const hint =
        near !== undefined && distance(key.toLowerCase(), near.toLowerCase()) <= Math.max(2, Math.floor(near.length / 3))
          ? `did you mean ${where(near)}?`
          : `valid options are ${keys.join(', ')}`
      throw invalid(`${where(key)}: unknown option; ${hint}`)
    }
    if (value === undefined) continue
    const rule = shape[key] as Rule
    const kinds: readonly Kind[] | undefined = typeof rule === 'function' ? undefined : typeof rule === 'string' ? [rule] : rule
    const problem =
      kinds === undefined
        ? (rule as (value: unknown) => string | undefined)(value)
        : kinds.some((kind) => isKind(value, kind))
          ? undefined
          : kinds.map(article).join(' or ')
    if (problem !== undefined) throw invalid(`${where(key)} must be ${problem}, got ${describe(value)}`)
  }
}

/**
 * `value` checked as a time (whole milliseconds from 0 to 2^31 - 1, or text
 * with a unit: `'500ms'`, `'30s'`) and returned in milliseconds; throws
 * `ERR_ARMATURE_INVALID_OPTION` naming `name`.
 */
export function millis(name: string, value: unknown): number {
  if (typeof value !== 'number' && typeof value !== 'string') {
    throw codedError(Code.InvalidOption, `${name} must be a number of milliseconds or a string with a unit, got ${typeof value}`, undefined, TypeError)
  }
  return binding.checkMillis(name, value)
}
