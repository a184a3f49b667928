import { once } from 'node:events'
import http2 from 'node:http2'
import net from 'node:net'
import { describe, expect, it } from 'vitest'
import { App, get, type Request } from '@armature/core'
import { deferred, start } from './helpers.js'

/** An app whose /wait handler resolves `aborted` with its signal's reason and never answers itself. */
function waiting(options: Parameters<typeof App.new>[0] = {}) {
  const started = deferred()
  const aborted = deferred<Error & { code?: string }>()
  const app = App.new(options).route('/wait', get((req: Request) => {
    started.resolve()
    return new Promise((resolve) => {
      req.signal.addEventListener('abort', () => {
        aborted.resolve(req.signal.reason as Error)
        resolve('too late')
      })
    })
  }))
  return { app, started: started.promise, aborted: aborted.promise }
}

describe('req.signal', () => {
  it('aborts with ERR_ARMATURE_CLIENT_GONE when an HTTP/1.1 client disconnects', async () => {
    const { app, started, aborted } = waiting()
    const server = await start(app)
    const socket = net.connect(server.port, '127.0.0.1', () => socket.write('GET /wait HTTP/1.1\r\nhost: x\r\n\r\n'))
    await started
    socket.destroy()
    const reason = await aborted
    expect(reason).toBeInstanceOf(Error)
    expect(reason.code).toBe('ERR_ARMATURE_CLIENT_GONE')
  })

  it('aborts with ERR_ARMATURE_CLIENT_GONE when an HTTP/2 client resets the stream', async () => {
    const { app, started, aborted } = waiting()
    const server = await start(app)
    const session = http2.connect(server.url)
    const stream = session.request({ ':path': '/wait' })
    await started
    stream.close(http2.constants.NGHTTP2_CANCEL)
    expect((await aborted).code).toBe('ERR_ARMATURE_CLIENT_GONE')
    // The session serves on.
    const again = session.request({ ':path': '/missing' })
    const [headers] = (await once(again, 'response')) as [http2.IncomingHttpHeaders]
    expect(headers[':status']).toBe(404)
    session.close()
  })

  it('aborts with ERR_ARMATURE_TIMEOUT at requestTimeout, while the client gets its 503', async () => {
    const { app, aborted } = waiting({ limits: { requestTimeout: 200 } })
    const server = await start(app)
    const res = await fetch(`${server.url}/wait`)
    expect(res.status).toBe(503)
    expect((await aborted).code).toBe('ERR_ARMATURE_TIMEOUT')
  })

  it('is aborted already when first read after the request ended', async () => {
    const read = deferred<AbortSignal>()
    const app = App.new({ limits: { requestTimeout: 100 } }).route('/late', get(async (req) => {
      await new Promise((r) => setTimeout(r, 400))
      read.resolve(req.signal)
      return 'late'
    }))
    const server = await start(app)
    expect((await fetch(`${server.url}/late`)).status).toBe(503)
    const signal = await read.promise
    expect(signal.aborted).toBe(true)
    expect((signal.reason as { code: string }).code).toBe('ERR_ARMATURE_TIMEOUT')
  })

  it('aborts with ERR_ARMATURE_SHUTDOWN when the server closes past its grace period', async () => {
    const { app, started, aborted } = waiting()
    const server = await start(app)
    const request = fetch(`${server.url}/wait`).catch(() => undefined)
    await started
    await server.close({ timeout: 100 })
    expect((await aborted).code).toBe('ERR_ARMATURE_SHUTDOWN')
    await request
  })

  it('stays quiet for a request that is answered', async () => {
    let signal: AbortSignal | undefined
    const server = await start(App.new().route('/', get((req) => {
      signal = req.signal
      return 'ok'
    })))
    expect(await (await fetch(`${server.url}/`)).text()).toBe('ok')
    expect(signal?.aborted).toBe(false)
  })
})
