import { parseCookie, stringifySetCookie, type SetCookie } from 'cookie'
import type * as Signature from 'cookie-signature'
import { Code, codedError } from './errors.js'

/** Attributes of a cookie set with `HttpResponse.cookie`. */
export interface CookieOptions {
  /** Seconds until it expires (`Max-Age`); 0 deletes it. @default a session cookie */
  maxAge?: number
  /** When it expires (`Expires`). @default a session cookie */
  expires?: Date
  /** The path it is sent for. @default the request's path */
  path?: string
  /** The domain it is sent to. @default this host only */
  domain?: string
  /** Hidden from page scripts (`HttpOnly`). @default false */
  httpOnly?: boolean
  /** Sent over HTTPS only (`Secure`). @default false */
  secure?: boolean
  /** `strict`, `lax` or `none` (`none` needs `secure`). @default none sent */
  sameSite?: 'strict' | 'lax' | 'none'
  /** Partitioned per top-level site (`Partitioned`, CHIPS). @default false */
  partitioned?: boolean
  /** Signed with the app's `cookies.secret`, so that `req.signedCookie` detects tampering. @default false */
  signed?: boolean
}

/** Options of `App.new({ cookies })`. */
export interface CookieSettings {
  /**
   * The secret signed cookies are signed with; with a list, the first signs
   * and all verify, so that secrets can be rotated.
   */
  secret: string | readonly string[]
}

/** `cookie-signature` (and node:crypto, ~2.5 MiB) only once a cookie is signed or checked. */
let signatureModule: typeof Signature | undefined
function signature(): typeof Signature {
  signatureModule ??= require('cookie-signature') as typeof Signature
  return signatureModule
}

/** The prefix of a signed value, as Express's cookie-parser writes it. */
const SIGNED = 's:'

/** The `Set-Cookie` value for `name=value`; throws a TypeError naming what is invalid. */
export function setCookie(name: string, value: string, options: CookieOptions, secrets: readonly string[] | undefined): string {
  const { signed, sameSite, ...rest } = options
  let text = value
  if (signed) {
    const secret = secrets?.[0]
    if (secret === undefined) {
      throw codedError(Code.InvalidOption, `cannot sign the cookie '${name}': give the app a secret with App.new({ cookies: { secret } })`)
    }
    text = SIGNED + signature().sign(value, secret)
  }
  const cookie: SetCookie = { name, value: text, ...rest, ...(sameSite ? { sameSite } : {}) }
  return stringifySetCookie(cookie)
}

/** Every cookie of a `Cookie` header by name (values percent-decoded). */
export function parseCookies(header: string | undefined): Record<string, string> {
  if (!header) return Object.create(null) as Record<string, string>
  const parsed = parseCookie(header)
  const out = Object.create(null) as Record<string, string>
  for (const [name, value] of Object.entries(parsed)) if (value !== undefined) out[name] = value
  return out
}

/** The value of a signed cookie, or `undefined` when it is unsigned or was tampered with. */
export function unsignCookie(raw: string | undefined, secrets: readonly string[] | undefined): string | undefined {
  if (raw === undefined || !raw.startsWith(SIGNED) || !secrets) return undefined
  for (const secret of secrets) {
    const value = signature().unsign(raw.slice(SIGNED.length), secret)
    if (value !== false) return value
  }
  return undefined
}

/** Checks `cookies.secret` and returns it as a list. */
export function secretsOf(settings: CookieSettings | undefined): readonly string[] | undefined {
  if (settings === undefined) return undefined
  const list = typeof settings.secret === 'string' ? [settings.secret] : settings.secret
  if (!Array.isArray(list) || list.length === 0 || list.some((s) => typeof s !== 'string' || s.length < 16)) {
    throw codedError(Code.InvalidOption, 'cookies.secret must be a string of at least 16 characters, or a non-empty list of them')
  }
  return list
}
