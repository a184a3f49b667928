import { createHistogram, performance, type EventLoopUtilization, type RecordableHistogram } from 'node:perf_hooks'
import type { NativeServer } from '../index.js'
import { checkOptions, millis, type Shape } from './options.js'

/** Options of `Server.close`. */
export interface CloseOptions {
  /** Time in-flight requests get to finish before connections are cut: milliseconds or `'10s'`. @default 10000 */
  timeout?: number | string
}

const CLOSE_OPTIONS: Shape<CloseOptions> = { timeout: ['number', 'string'] }

/** What a server carries now and how its JS thread keeps up: `server.stats()`. */
export interface ServerStats {
  /** Connections open. */
  connections: number
  /** Requests handed to JS (or queued for it) and not answered yet. */
  pending: number
  /** Of those, the ones still waiting in the queue for the JS thread. */
  queued: number
  /** Milliseconds the oldest queued request has waited (0 when none wait). */
  oldestQueuedMs: number
  /** Requests answered 503 by load shedding since the server started. */
  shed: number
  /** Event-loop delay since the previous `stats()` (or since the server started), in milliseconds. */
  eventLoopDelay: { p50: number; p99: number; max: number }
  /** Share of the time the event loop was busy since the previous `stats()`, 0 to 1. */
  eventLoopUtilization: number
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
  readonly #delay = new LoopDelay()
  #utilization: EventLoopUtilization

  /** @internal created by `App.run`. */
  constructor(native: NativeServer, host: string, closed: Promise<void>, onClose: () => void) {
    this.#native = native
    this.port = native.port
    this.host = host
    this.#closed = closed
    this.#onClose = onClose
    this.#utilization = performance.eventLoopUtilization()
  }

  /**
   * What the server carries and how its JS thread keeps up: connections,
   * requests in JS and in the queue (with the oldest one's wait), requests
   * shed, and the event loop's delay and utilisation since the previous call.
   * Log it on an interval to see saturation coming.
   */
  stats(): ServerStats {
    const engine = this.#native.stats()
    const eventLoopDelay = this.#delay.take()
    const now = performance.eventLoopUtilization()
    const utilization = performance.eventLoopUtilization(now, this.#utilization).utilization
    this.#utilization = now
    return { ...engine, eventLoopDelay, eventLoopUtilization: Math.round(utilization * 1000) / 1000 }
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
    this.#delay.stop()
    return this.#closed
  }
}

/**
 * Event-loop delay: how late a 10 ms timer fires, sampled into a histogram.
 * `perf_hooks.monitorEventLoopDelay` does the same natively, but its
 * `reset()` forgets the time of its last tick, so a stall that starts within
 * one tick of a reset is never recorded; here the window moves without that
 * gap. One timer callback per 10 ms: no cost per request.
 */
class LoopDelay {
  static readonly INTERVAL_MS = 10
  #histogram: RecordableHistogram = createHistogram()
  #last = process.hrtime.bigint()
  readonly #timer = setInterval(() => {
    const now = process.hrtime.bigint()
    const late = Number(now - this.#last) - LoopDelay.INTERVAL_MS * 1e6
    this.#histogram.record(Math.max(1, late))
    this.#last = now
  }, LoopDelay.INTERVAL_MS).unref()

  /** p50, p99 and max in ms since the previous call, and a fresh window. */
  take(): { p50: number; p99: number; max: number } {
    const histogram = this.#histogram
    this.#histogram = createHistogram()
    if (histogram.count === 0) return { p50: 0, p99: 0, max: 0 }
    const ms = (ns: number) => Math.round(ns / 1e4) / 100
    return { p50: ms(histogram.percentile(50)), p99: ms(histogram.percentile(99)), max: ms(histogram.max) }
  }

  stop(): void {
    clearInterval(this.#timer)
  }
}
