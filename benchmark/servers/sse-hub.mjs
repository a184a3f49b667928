// The publisher both SSE fan-out servers share: every TICK_MS, one event to
// every subscriber. Each subscriber keeps at most LIMIT events unsent, the
// oldest dropped first, so a server that falls behind shows it as events not
// delivered rather than as memory.
export const TICK_MS = 10
const LIMIT = 64

export class Hub {
  subscribers = new Set()
  published = 0

  constructor() {
    setInterval(() => this.publish({ n: ++this.published, at: Date.now() }), TICK_MS).unref()
  }

  publish(event) {
    for (const subscriber of this.subscribers) subscriber(event)
  }

  /** Calls `deliver` with each event until `signal` aborts. */
  subscribe(deliver, signal) {
    this.subscribers.add(deliver)
    signal.addEventListener('abort', () => this.subscribers.delete(deliver), { once: true })
  }

  /** The events as an async iterable, for HttpResponse.sse. */
  iterate(signal) {
    const queue = []
    let wake
    this.subscribe((event) => {
      if (queue.length === LIMIT) queue.shift()
      queue.push(event)
      wake?.()
    }, signal)
    return (async function* () {
      while (!signal.aborted) {
        if (queue.length === 0) await new Promise((resolve) => (wake = resolve))
        wake = undefined
        while (queue.length > 0) yield { data: queue.shift() }
      }
    })()
  }
}
