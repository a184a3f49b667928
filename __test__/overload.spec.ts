import { spawn } from 'node:child_process'
import { once } from 'node:events'
import net from 'node:net'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { App, get } from '@armature/core'
import { deferred, start } from './helpers.js'

describe('load shedding', () => {
  it('answers a burst beyond maxPending with 503 and Retry-After at once, while admitted requests succeed', async () => {
    const release = deferred()
    let started = 0
    const app = App.new({ limits: { maxPending: 8, retryAfter: '1500ms' } }).route('/slow', get(async () => {
      started++
      await release.promise
      return 'answered'
    }))
    const server = await start(app)
    const answers = Array.from({ length: 20 }, () => fetch(`${server.url}/slow`))
    // The 12 over the limit are answered while the 8 admitted still wait.
    const settled: Response[] = []
    for (const answer of answers) void answer.then((res) => settled.push(res))
    while (settled.length < 12) await new Promise((r) => setTimeout(r, 10))
    expect(started).toBe(8)
    for (const res of settled) {
      expect(res.status).toBe(503)
      expect(res.headers.get('retry-after')).toBe('2')
      expect(res.headers.get('content-type')).toBe('application/problem+json')
      expect(await res.json()).toMatchObject({ status: 503, detail: 'the server is busy: 8 requests wait for their handlers' })
    }
    expect(server.stats()).toMatchObject({ pending: 8, queued: 0, shed: 12 })
    release.resolve()
    const all = await Promise.all(answers)
    const ok = all.filter((res) => res.status === 200)
    expect(ok).toHaveLength(8)
    for (const res of ok) expect(await res.text()).toBe('answered')
    expect(server.stats()).toMatchObject({ pending: 0, shed: 12 })
    await server.close()
  })

  it('sheds what waits longer than maxQueueDelay for a stalled JS thread, and stats() shows the stall', async () => {
    const fixture = fileURLToPath(new URL('./fixtures/stall.mjs', import.meta.url))
    const proc = spawn(process.execPath, [fixture], { stdio: ['ignore', 'pipe', 'inherit'] })
    try {
      const lines = createInterface({ input: proc.stdout })[Symbol.asyncIterator]()
      const url = `http://127.0.0.1:${Number((await lines.next()).value)}`
      await (await fetch(`${url}/stats`)).json() // starts a fresh stats window
      const stalled = fetch(`${url}/stall?ms=1500`)
      expect((await lines.next()).value).toBe('stalling')
      // Sent while the JS thread is stuck: nobody takes them from the queue.
      const queued = await Promise.all(Array.from({ length: 5 }, () => fetch(`${url}/fast`)))
      for (const res of queued) {
        expect(res.status).toBe(503)
        expect(res.headers.get('retry-after')).toBe('3')
        expect(await res.json()).toMatchObject({ detail: 'the server is busy: the request waited 200 ms for its handler' })
      }
      expect(await (await stalled).text()).toBe('done')
      // The delay histogram records the stall when its own timer next fires.
      await new Promise((r) => setTimeout(r, 50))
      const stats = (await (await fetch(`${url}/stats`)).json()) as { shed: number; eventLoopDelay: { max: number }; eventLoopUtilization: number }
      expect(stats.shed).toBe(5)
      expect(stats.eventLoopDelay.max).toBeGreaterThan(1000)
      expect(stats.eventLoopUtilization).toBeGreaterThan(0.5)
      // Once the stall is over, requests are served again.
      expect(await (await fetch(`${url}/fast`)).text()).toBe('fast')
    } finally {
      proc.kill()
    }
  })

  it('stops accepting at maxConnections: a new connection waits in the backlog until one closes', async () => {
    const server = await start(App.new({ limits: { maxConnections: 2 } }).route('/', get(() => 'hi')))
    const connect = () => {
      const socket = net.connect(server.port, '127.0.0.1')
      let text = ''
      socket.on('data', (chunk) => (text += chunk.toString()))
      socket.write('GET / HTTP/1.1\r\nhost: x\r\n\r\n')
      return { socket, answered: () => text.includes('\r\n\r\nhi') }
    }
    const until = async (done: () => boolean) => {
      while (!done()) await new Promise((r) => setTimeout(r, 10))
    }
    const first = connect()
    const second = connect()
    await until(() => first.answered() && second.answered())
    const third = connect()
    await once(third.socket, 'connect') // the kernel completed the handshake: not refused
    await new Promise((r) => setTimeout(r, 300))
    expect(third.answered()).toBe(false)
    expect(server.stats().connections).toBe(2)
    first.socket.destroy()
    await until(third.answered)
    expect(server.stats().connections).toBe(2)
    second.socket.destroy()
    third.socket.destroy()
    await server.close()
  })
})
