import { spawn } from 'node:child_process'
import { once } from 'node:events'
import http from 'node:http'
import http2 from 'node:http2'
import net from 'node:net'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { App, BodyLimit, HttpResponse, post, type Request } from '@armature/core'
import { testClient } from '@armature/core/testing'
import { deferred, raw, start, statuses } from './helpers.js'

const MiB = 1024 * 1024

/** POSTs `size` bytes in 64 KiB writes that wait for the socket, and returns the answer. */
function upload(port: number, path: string, size: number, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method: 'POST', path, headers: { 'content-length': size, ...headers } }, (res) => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (chunk: string) => (body += chunk))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }))
    })
    req.on('error', reject)
    const chunk = Buffer.alloc(64 * 1024, 'u')
    let left = size
    const write = () => {
      while (left > 0) {
        const piece = left >= chunk.length ? chunk : chunk.subarray(0, left)
        left -= piece.length
        if (!req.write(piece)) return void req.once('drain', write)
      }
      req.end()
    }
    write()
  })
}

async function count(req: Request): Promise<number> {
  let bytes = 0
  for await (const chunk of req.stream()) bytes += chunk.length
  return bytes
}

describe('streamed request bodies', () => {
  it("take a 512 MiB upload with the server's memory bounded", async () => {
    const fixture = fileURLToPath(new URL('./fixtures/ingest.mjs', import.meta.url))
    const proc = spawn(process.execPath, [fixture], { stdio: ['ignore', 'pipe', 'inherit'] })
    try {
      const [line] = (await once(proc.stdout, 'data')) as [Buffer]
      const answer = await upload(Number(line.toString().trim()), '/ingest', 512 * MiB)
      const { bytes, before, peak } = JSON.parse(answer.body) as { bytes: number; before: number; peak: number }
      expect(bytes).toBe(512 * MiB)
      expect((peak - before) / MiB).toBeLessThan(128)
    } finally {
      proc.kill()
    }
  })

  it('stream to a handler that reads slowly, with bodyTimeout only counting time on the socket', async () => {
    const app = App.new({ limits: { bodyTimeout: 200 } }).route('/slow', post(async (req) => {
      // Holds the body back far longer than bodyTimeout.
      await new Promise((r) => setTimeout(r, 600))
      return { bytes: await count(req) }
    }, { stream: true }))
    const server = await start(app)
    expect(await upload(server.port, '/slow', 8 * MiB)).toEqual({ status: 200, body: JSON.stringify({ bytes: 8 * MiB }) })
  })

  it('enforce a BodyLimit as bytes arrive, over HTTP/1.1 and HTTP/2, and tell the handler', async () => {
    const cuts: string[] = []
    const app = App.new().route('/limited', post(async (req) => {
      try {
        return { bytes: await count(req) }
      } catch (error) {
        cuts.push((error as { code: string }).code)
        throw error
      }
    }, { stream: true }).wrap(BodyLimit.new('1mb')))
    const server = await start(app)
    // Declared too large: refused before anything is read.
    expect((await upload(server.port, '/limited', 4 * MiB)).status).toBe(413)
    // Chunked, so the limit shows only as bytes arrive.
    const transcript = await raw(server.port, `POST /limited HTTP/1.1\r\nhost: x\r\ntransfer-encoding: chunked\r\n\r\n${`${(64 * 1024).toString(16)}\r\n${'u'.repeat(64 * 1024)}\r\n`.repeat(20)}`)
    expect(statuses(transcript)[0]).toBe(413)
    const session = http2.connect(server.url)
    const stream = session.request({ ':path': '/limited', ':method': 'POST' })
    stream.on('error', () => {})
    stream.write(Buffer.alloc(2 * MiB, 'u'))
    const [headers] = (await once(stream, 'response')) as [http2.IncomingHttpHeaders]
    expect(headers[':status']).toBe(413)
    session.destroy()
    await new Promise((r) => setTimeout(r, 50))
    expect(cuts).toContain('ERR_ARMATURE_BODY_CUT')
  })

  it('deliver an answer given without reading the body', async () => {
    const server = await start(App.new().route('/ignore', post(() => 'not reading', { stream: true })))
    expect(await upload(server.port, '/ignore', 2 * MiB)).toEqual({ status: 200, body: 'not reading' })
    expect(await upload(server.port, '/ignore', 1000)).toEqual({ status: 200, body: 'not reading' })
  })

  it('echo an upload back as it comes (full duplex), and through testClient', async () => {
    const app = App.new().route('/echo', post((req) => HttpResponse.stream(req.stream()), { stream: true }))
    const server = await start(app)
    const res = await upload(server.port, '/echo', 4 * MiB)
    expect(res.status).toBe(200)
    expect(res.body.length).toBe(4 * MiB)
    const viaClient = await testClient(app).post('/echo', { body: 'hello' })
    expect(viaClient.text()).toBe('hello')
  })

  it('refuse req.body on a streaming route, and yield the read body from req.stream() elsewhere', async () => {
    const app = App.new()
      .route('/streamed', post((req) => {
        try {
          return req.body.length
        } catch (error) {
          return (error as { code: string }).code
        }
      }, { stream: true }))
      .route('/whole', post(async (req) => ({ bytes: await count(req), text: req.text() })))
    const server = await start(app)
    expect(await (await fetch(`${server.url}/streamed`, { method: 'POST', body: 'abc' })).text()).toBe('ERR_ARMATURE_BODY_STREAMED')
    expect(await (await fetch(`${server.url}/whole`, { method: 'POST', body: 'abc' })).json()).toEqual({ bytes: 3, text: 'abc' })
    expect(() => post(() => 'x', { stram: true } as never)).toThrow(expect.objectContaining({ code: 'ERR_ARMATURE_INVALID_OPTION', message: 'route options.stram: unknown option; did you mean route options.stream?' }))
  })

  it("cut the handler's stream when the client leaves mid-upload, rather than leave it waiting", async () => {
    const outcome = deferred<{ code?: string; aborted: boolean }>()
    const app = App.new().route('/ingest', post(async (req) => {
      try {
        await count(req)
        outcome.resolve({ aborted: req.signal.aborted })
      } catch (error) {
        outcome.resolve({ code: (error as { code?: string }).code, aborted: req.signal.aborted })
      }
      return 'done'
    }, { stream: true }))
    const server = await start(app)
    const socket = net.connect(server.port, '127.0.0.1')
    socket.write(`POST /ingest HTTP/1.1\r\nhost: x\r\ncontent-length: ${64 * MiB}\r\n\r\n`)
    socket.write(Buffer.alloc(MiB, 'u'))
    await new Promise((r) => setTimeout(r, 100))
    socket.destroy()
    expect(await outcome.promise).toEqual({ code: 'ERR_ARMATURE_BODY_CUT', aborted: true })
  })
})
