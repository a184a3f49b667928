import { millis } from './options.js'

/** One Server-Sent Event. `data` that is not a string is sent as JSON. */
export interface SseEvent {
  data: unknown
  /** The event's type (`addEventListener(event, …)` on the client). */
  event?: string
  /** Its id: the client sends the last one back as `Last-Event-ID` when it reconnects. */
  id?: string
  /** Milliseconds the client waits before reconnecting. */
  retry?: number
}

/** How `HttpResponse.sse` paces its stream. */
export interface EventStreamOptions {
  /** A comment line sent when the source has been quiet this long, so proxies keep the connection: milliseconds or `'15s'`. @default '15s' */
  heartbeat?: number | string | false
  /** Sent first: how long the client waits before reconnecting, in milliseconds. @default the client's own */
  retry?: number
}

const LINE_BREAK = /\r\n|\r|\n/

function field(name: string, value: string): string {
  if (/[\r\n\0]/.test(value)) throw new TypeError(`an SSE event's ${name} must not hold a line break or NUL: ${JSON.stringify(value)}`)
  return `${name}: ${value}\n`
}

function retryField(retry: unknown): string {
  if (typeof retry !== 'number' || !Number.isInteger(retry) || retry < 0) {
    throw new TypeError(`an SSE retry must be a whole number of milliseconds, got ${String(retry)}`)
  }
  return `retry: ${retry}\n`
}

/** The wire form of one event: fields, a `data:` line per line of data, and a blank line. */
export function formatEvent(event: SseEvent | string): string {
  if (typeof event === 'string') event = { data: event }
  let out = ''
  if (event.event !== undefined) out += field('event', event.event)
  if (event.id !== undefined) out += field('id', event.id)
  if (event.retry !== undefined) out += retryField(event.retry)
  const data = typeof event.data === 'string' ? event.data : JSON.stringify(event.data)
  if (data === undefined) throw new TypeError('an SSE event needs data that JSON can hold')
  for (const line of data.split(LINE_BREAK)) out += `data: ${line}\n`
  return `${out}\n`
}

/**
 * The source's events as wire text, with a heartbeat comment whenever the
 * source is quiet for `heartbeat` ms. An iterator of its own, not a
 * generator: `return()` (the client left) reaches the source at once, even
 * while a `next()` is pending.
 */
class Events implements AsyncIterableIterator<string> {
  readonly #source: AsyncIterator<SseEvent | string>
  readonly #heartbeat: number | undefined
  #first: string | undefined
  #pending: Promise<IteratorResult<SseEvent | string>> | undefined
  #timer: NodeJS.Timeout | undefined
  #done = false

  constructor(source: AsyncIterable<SseEvent | string>, heartbeat: number | undefined, retry: number | undefined) {
    this.#source = source[Symbol.asyncIterator]()
    this.#heartbeat = heartbeat
    this.#first = retry === undefined ? undefined : `${retryField(retry)}\n`
  }

  [Symbol.asyncIterator](): this {
    return this
  }

  async next(): Promise<IteratorResult<string>> {
    if (this.#done) return { done: true, value: undefined }
    if (this.#first !== undefined) {
      const first = this.#first
      this.#first = undefined
      return { done: false, value: first }
    }
    const pending = (this.#pending ??= this.#source.next())
    const beat = this.#heartbeat
    const result =
      beat === undefined
        ? await pending
        : await Promise.race([pending, new Promise<'beat'>((resolve) => (this.#timer = setTimeout(resolve, beat, 'beat')))])
    clearTimeout(this.#timer)
    if (result === 'beat') return { done: false, value: ': heartbeat\n\n' }
    this.#pending = undefined
    if (result.done) {
      this.#done = true
      return { done: true, value: undefined }
    }
    return { done: false, value: formatEvent(result.value) }
  }

  async return(): Promise<IteratorResult<string>> {
    this.#done = true
    clearTimeout(this.#timer)
    // Not awaited: a source busy awaiting something of its own ends when it next yields.
    void this.#source.return?.()?.catch(() => {})
    return { done: true, value: undefined }
  }
}

/** The body of `HttpResponse.sse`: `source`'s events in their wire form, and heartbeats. */
export function eventStream(source: AsyncIterable<SseEvent | string>, options: EventStreamOptions): AsyncIterable<string> {
  const beat = options.heartbeat ?? '15s'
  const heartbeat = beat === false ? undefined : millis('sse heartbeat', beat)
  if (options.retry !== undefined) retryField(options.retry)
  return new Events(source, heartbeat, options.retry)
}

/** The headers of an event stream, unless the handler gives its own. */
export const EVENT_STREAM_HEADERS = [
  ['content-type', 'text/event-stream; charset=utf-8'],
  ['cache-control', 'no-cache'],
  // nginx buffers responses unless told not to.
  ['x-accel-buffering', 'no'],
] as const
