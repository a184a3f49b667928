import { once } from 'node:events'
import { mkdtempSync, writeFileSync } from 'node:fs'
import http2 from 'node:http2'
import net from 'node:net'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { Readable } from 'node:stream'
import { createReadStream } from 'node:fs'
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { App, get, HttpResponse, type Request } from '@armature/core'
import { testClient } from '@armature/core/testing'
import { deferred, start } from './helpers.js'

async function* lines(count: number) {
  for (let n = 0; n < count; n++) yield `line ${n}\n`
}
const expectedLines = (count: number) => Array.from({ length: count }, (_, n) => `line ${n}\n`).join('')

function webStream(count: number): ReadableStream<Uint8Array> {
  let n = 0
  return new ReadableStream({
    pull(controller) {
      if (n === count) return controller.close()
      controller.enqueue(new TextEncoder().encode(`line ${n++}\n`))
    },
  })
}

const file = path.join(mkdtempSync(path.join(tmpdir(), 'armature-')), 'report.txt')
writeFileSync(file, expectedLines(5000))

function sources() {
  return App.new()
    .route('/iterable', get(() => HttpResponse.stream(lines(1000), { headers: { 'content-type': 'text/plain' } })))
    .route('/web', get(() => webStream(1000)))
    .route('/readable', get(() => new HttpResponse(createReadStream(file))))
    .route('/from', get(() => Readable.from(lines(1000))))
}

async function h2get(url: string, target: string): Promise<{ status: number; body: string; error?: Error }> {
  const session = http2.connect(url)
  try {
    const stream = session.request({ ':path': target })
    const [headers] = (await once(stream, 'response')) as [http2.IncomingHttpHeaders]
    let body = ''
    stream.setEncoding('utf8')
    stream.on('data', (chunk: string) => (body += chunk))
    const error = await new Promise<Error | undefined>((resolve) => {
      stream.on('end', () => resolve(undefined))
      stream.on('error', resolve)
      stream.on('close', () => resolve(stream.rstCode === 0 ? undefined : new Error(`reset ${stream.rstCode}`)))
    })
    return { status: Number(headers[':status']), body, error }
  } finally {
    session.close()
  }
}

describe('streamed responses', () => {
  it('stream every kind of source over HTTP/1.1 and HTTP/2', async () => {
    const server = await start(sources())
    for (const [target, expected] of [
      ['/iterable', expectedLines(1000)],
      ['/web', expectedLines(1000)],
      ['/readable', expectedLines(5000)],
      ['/from', expectedLines(1000)],
    ] as const) {
      const res = await fetch(`${server.url}${target}`)
      expect(res.status, target).toBe(200)
      expect(res.headers.get('transfer-encoding'), target).toBe('chunked')
      expect(await res.text(), target).toBe(expected)
      const h2 = await h2get(server.url, target)
      expect(h2, target).toEqual({ status: 200, body: expected, error: undefined })
    }
    const iterable = await fetch(`${server.url}/iterable`)
    expect(iterable.headers.get('content-type')).toBe('text/plain')
    expect((await fetch(`${server.url}/web`)).headers.get('content-type')).toBe('application/octet-stream')
  })

  it('run through testClient as a whole body', async () => {
    const res = await testClient(sources()).get('/iterable')
    expect(res.text()).toBe(expectedLines(1000))
  })

  it('abort a response whose source throws, on both protocols', async () => {
    const app = App.new().route('/broken', get(() =>
      HttpResponse.stream((async function* () {
        for (let n = 0; n < 5; n++) {
          yield `chunk ${n}\n`
          await new Promise((r) => setTimeout(r, 5))
        }
        throw new Error('the source broke')
      })()),
    ))
    const server = await start(app)
    const res = await fetch(`${server.url}/broken`)
    expect(res.status).toBe(200)
    await expect(res.text()).rejects.toThrow()
    const h2 = await h2get(server.url, '/broken')
    expect(h2.error).toBeDefined()
  })

  it('hold a stream to its content-length', async () => {
    const app = App.new()
      .route('/exact', get(() => HttpResponse.stream(lines(2), { headers: { 'content-length': String(expectedLines(2).length) } })))
      .route('/short', get(() => HttpResponse.stream(lines(2), { headers: { 'content-length': '100' } })))
      .route('/long', get(() => HttpResponse.stream(lines(20), { headers: { 'content-length': '10' } })))
    const server = await start(app)
    const exact = await fetch(`${server.url}/exact`)
    expect(exact.headers.get('content-length')).toBe(String(expectedLines(2).length))
    expect(await exact.text()).toBe(expectedLines(2))
    for (const target of ['/short', '/long']) {
      await expect((async () => (await fetch(`${server.url}${target}`)).text())(), target).rejects.toThrow()
    }
  })

  it('cancel the source when the client leaves: the signal first, then finally and destroy', async () => {
    const finished = deferred<boolean>()
    const destroyed = deferred()
    const app = App.new()
      .route('/endless', get((req: Request) =>
        HttpResponse.stream((async function* () {
          try {
            for (;;) yield 'x'.repeat(16 * 1024)
          } finally {
            finished.resolve(req.signal.aborted)
          }
        })()),
      ))
      .route('/readable', get(() => {
        const readable = new Readable({ read() { this.push(Buffer.alloc(16 * 1024, 'y')) } })
        readable.on('close', () => destroyed.resolve())
        return readable
      }))
    const server = await start(app)
    for (const target of ['/endless', '/readable']) {
      const socket = net.connect(server.port, '127.0.0.1', () => socket.write(`GET ${target} HTTP/1.1\r\nhost: x\r\n\r\n`))
      await once(socket, 'data')
      socket.destroy()
    }
    expect(await finished.promise).toBe(true)
    await destroyed.promise
  })

  it('drop a client that accepts no bytes for sendTimeout, and cancel its source', async () => {
    const finished = deferred<string | undefined>()
    const app = App.new({ limits: { sendTimeout: 300 } }).route('/endless', get((req: Request) =>
      HttpResponse.stream((async function* () {
        try {
          for (;;) yield Buffer.alloc(64 * 1024, 'z')
        } finally {
          finished.resolve((req.signal.reason as { code?: string } | undefined)?.code)
        }
      })()),
    ))
    const server = await start(app)
    const socket = net.connect(server.port, '127.0.0.1', () => socket.write('GET /endless HTTP/1.1\r\nhost: x\r\n\r\n'))
    await once(socket, 'data')
    socket.pause()
    expect(await finished.promise).toBe('ERR_ARMATURE_CLIENT_GONE')
    socket.destroy()
  })

  it('hold a slow reader of a 256 MiB download to a bounded window, and memory flat', async () => {
    const MiB = 1024 * 1024
    const fixture = fileURLToPath(new URL('./fixtures/download.mjs', import.meta.url))
    const proc = spawn(process.execPath, [fixture], { stdio: ['ignore', 'pipe', 'inherit'] })
    try {
      const [line] = (await once(proc.stdout, 'data')) as [Buffer]
      const port = Number(line.toString().trim())
      const stats = async () => (await (await fetch(`http://127.0.0.1:${port}/stats`)).json()) as { produced: number; rss: number }
      const before = await stats()
      let received = 0
      let slow = true
      const socket = net.connect(port, '127.0.0.1', () => socket.write('GET /big HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n'))
      socket.on('data', (chunk: Buffer) => {
        received += chunk.length
        if (slow && received > 4 * MiB) socket.pause()
      })
      // Paused: the server stops producing once the window and the socket buffers are full.
      let last = -1
      let paused = await stats()
      while (paused.produced !== last) {
        last = paused.produced
        await new Promise((r) => setTimeout(r, 200))
        paused = await stats()
      }
      expect(paused.produced - received).toBeLessThan(32 * MiB)
      expect((paused.rss - before.rss) / MiB).toBeLessThan(64)
      // Read on: all of it arrives, and memory stays flat.
      const ended = once(socket, 'end')
      slow = false
      socket.resume()
      await ended
      expect(received).toBeGreaterThan(256 * MiB)
      const after = await stats()
      expect((after.rss - before.rss) / MiB).toBeLessThan(64)
    } finally {
      proc.kill()
    }
  })
})
