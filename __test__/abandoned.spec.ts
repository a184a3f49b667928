import { spawn } from 'node:child_process'
import { once } from 'node:events'
import net from 'node:net'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { App, get, SecurityHeaders, type Middleware } from '@armature/core'
import { deferred, start } from './helpers.js'

const MiB = 1024 * 1024

/** Sends a request on a fresh connection and closes it unanswered once the server had time to hand it to JS. */
function abort(port: number): Promise<void> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1', () => {
      socket.write('GET /hang HTTP/1.1\r\nhost: test\r\n\r\n')
      setTimeout(() => socket.destroy(), 10)
    })
    socket.on('error', () => {})
    socket.on('close', () => resolve())
  })
}

/** `count` aborted requests, `parallel` at a time. */
async function abortMany(port: number, count: number, parallel = 64): Promise<void> {
  let left = count
  await Promise.all(
    Array.from({ length: parallel }, async () => {
      while (left-- > 0) await abort(port)
    }),
  )
}

describe('abandoned requests', () => {
  it('free their native memory while their handlers never settle', async () => {
    const fixture = fileURLToPath(new URL('./fixtures/abandon.mjs', import.meta.url))
    const proc = spawn(process.execPath, ['--expose-gc', fixture], { stdio: ['ignore', 'pipe', 'inherit'] })
    try {
      const [line] = (await once(proc.stdout, 'data')) as [Buffer]
      const port = Number(line.toString().trim())
      const stats = async (): Promise<{ started: number; rss: number }> => {
        await new Promise((r) => setTimeout(r, 300))
        return (await fetch(`http://127.0.0.1:${port}/stats`)).json() as Promise<{ started: number; rss: number }>
      }
      // Warm up, so that the allocator's pools and the tables have their working size.
      await abortMany(port, 3000)
      const before = await stats()
      await abortMany(port, 12_000)
      const after = await stats()
      // Most requests reached their handler before the client left.
      expect(after.started - before.started).toBeGreaterThan(4000)
      // Kept, that would be 4–9 KiB each: 48–105 MiB.
      expect((after.rss - before.rss) / MiB).toBeLessThan(16)
    } finally {
      proc.kill()
    }
  })

  it('leave inline middleware of later requests alone when a JS middleware answered before next() settled', async () => {
    const releaseEarly = deferred()
    const releaseLater = deferred()
    const laterStarted = deferred()
    // Answers /early at once and lets the rest of its chain run on.
    const hasty: Middleware = (req, next) => {
      if (req.path !== '/early') return next(req)
      void next(req)
      return 'early'
    }
    // One route, so that both requests run the same inline middleware.
    const server = await start(
      App.new()
        .wrap(hasty)
        .wrap(SecurityHeaders.default())
        .route('/:name', get(async (req) => {
          if (req.param('name') === 'early') {
            await releaseEarly.promise
            return 'too late'
          }
          laterStarted.resolve()
          await releaseLater.promise
          return 'later'
        })),
    )
    expect(await (await fetch(`${server.url}/early`)).text()).toBe('early')
    const later = fetch(`${server.url}/later`)
    await laterStarted.promise
    // The first chain settles now, after its request was answered: its
    // native layer's response side must not find the second request's hook.
    releaseEarly.resolve()
    await new Promise((r) => setImmediate(r))
    releaseLater.resolve()
    const res = await later
    expect(await res.text()).toBe('later')
    expect(res.headers.get('x-frame-options')).toBe('SAMEORIGIN')
  })
})
