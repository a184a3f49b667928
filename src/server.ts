import type { NativeServer } from '../index.js'

/** Options of `Server.close`. */
export interface CloseOptions {
  /** Milliseconds in-flight requests get to finish before connections are cut. @default 10000 */
  timeout?: number
}

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
    const timeout = options.timeout ?? 10_000
    if (!Number.isFinite(timeout) || timeout < 0) {
      return Promise.reject(new RangeError(`close timeout must be a non-negative number of milliseconds, got ${timeout}`))
    }
    this.#onClose()
    this.#native.close(timeout)
    return this.#closed
  }
}
