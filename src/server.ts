import type { NativeServer } from '../index.js'
import { binding } from './native.js'
import { checkOptions, type Shape } from './options.js'

/** Options of `Server.close`. */
export interface CloseOptions {
  /** Time in-flight requests get to finish before connections are cut: milliseconds or `'10s'`. @default 10000 */
  timeout?: number | string
}

const CLOSE_OPTIONS: Shape<CloseOptions> = { timeout: ['number', 'string'] }

/** A running server, as `App.run` resolves it. */
export class Server {
  /** The port listened on (the real one when 0 was asked). */
  readonly port: number
  /** The host listened on. */
  readonly host: string
  readonly #native: NativeServer
  readonly #closed: Promise<void>
  readonly #onClose: () => void

  /** @internal created by `App.run`. */
  constructor(native: NativeServer, host: string, closed: Promise<void>, onClose: () => void) {
    this.#native = native
    this.port = native.port
    this.host = host
    this.#closed = closed
    this.#onClose = onClose
  }

  /** `http://host:port`, for clients. */
  get url(): string {
    const host = this.host.includes(':') ? `[${this.host}]` : this.host
    return `http://${host}:${this.port}`
  }

  /**
   * Stops accepting connections, lets in-flight requests finish (up to
   * `timeout`), closes the rest, and resolves. Node may then exit.
   */
  close(options: CloseOptions = {}): Promise<void> {
    try {
      checkOptions('close', options, CLOSE_OPTIONS)
      this.#native.close(millis('close timeout', options.timeout ?? 10_000))
    } catch (error) {
      return Promise.reject(error)
    }
    this.#onClose()
    return this.#closed
  }
}

/**
 * `value` checked as a time (whole milliseconds from 0 to 2^31 - 1, or text
 * with a unit: `'500ms'`, `'30s'`) and returned in milliseconds; throws
 * `ERR_ARMATURE_INVALID_OPTION` naming `name`.
 */
export function millis(name: string, value: unknown): number {
  if (typeof value !== 'number' && typeof value !== 'string') {
    throw Object.assign(new TypeError(`${name} must be a number of milliseconds or a string with a unit, got ${typeof value}`), {
      code: 'ERR_ARMATURE_INVALID_OPTION',
    })
  }
  return binding.checkMillis(name, value)
}
