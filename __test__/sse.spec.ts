import { once } from 'node:events'
import http2 from 'node:http2'
import { describe, expect, it } from 'vitest'
import { EventSource } from 'eventsource'
import { App, Compression, get, HttpResponse, type Request } from '@armature/core'
import { deferred, start } from './helpers.js'

const wait = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** Reads a streamed body as text until it ends or `until` is in it. */
async function read(res: Response, until?: string): Promise<string> {
  const reader = (res.body as ReadableStream<Uint8Array>).getReader()
  const decoder = new TextDecoder()
  let text = ''
  for (;;) {
    const { value, done } = await reader.read()
    if (done) return text
    text += decoder.decode(value, { stream: true })
    if (until !== undefined && text.includes(until)) {
      await reader.cancel()
      return text
    }
  }
}

describe('Server-Sent Events', () => {
  it('send every field, JSON and multi-line data to an EventSource', async () => {
    const app = App.new().route('/events', get(() =>
      HttpResponse.sse((async function* () {
        yield 'plain'
        yield { data: { n: 1, ok: true }, event: 'update', id: '7', retry: 1000 }
        yield { data: 'line one\nline two' }
      })()),
    ))
    const server = await start(app)
    const source = new EventSource(`${server.url}/events`)
    const seen: { type: string; data: string; id: string }[] = []
    const done = deferred()
    const record = (event: MessageEvent) => {
      seen.push({ type: event.type, data: event.data as string, id: event.lastEventId })
      if (seen.length === 3) done.resolve()
    }
    source.addEventListener('message', record)
    source.addEventListener('update', record)
    await done.promise
    source.close()
    expect(seen).toEqual([
      { type: 'message', data: 'plain', id: '' },
      { type: 'update', data: '{"n":1,"ok":true}', id: '7' },
      { type: 'message', data: 'line one\nline two', id: expect.any(String) as string },
    ])
  })

  it('are sent uncompressed and uncached, with heartbeats while the source is quiet', async () => {
    const app = App.new().wrap(Compression.default()).route('/quiet', get(() =>
      HttpResponse.sse((async function* () {
        yield 'first'
        await wait(400)
        yield 'second'
      })(), { heartbeat: 100 }),
    ))
    const server = await start(app)
    const res = await fetch(`${server.url}/quiet`, { headers: { 'accept-encoding': 'gzip, br' } })
    expect(res.headers.get('content-type')).toBe('text/event-stream; charset=utf-8')
    expect(res.headers.get('cache-control')).toBe('no-cache')
    expect(res.headers.get('x-accel-buffering')).toBe('no')
    expect(res.headers.get('content-encoding')).toBeNull()
    expect(res.headers.get('content-length')).toBeNull()
    const text = await read(res)
    expect(text.startsWith('data: first\n\n')).toBe(true)
    expect(text.split(': heartbeat\n\n').length - 1).toBeGreaterThanOrEqual(2)
    expect(text.endsWith('data: second\n\n')).toBe(true)
  })

  it('resume from Last-Event-ID when the client reconnects', async () => {
    const lastIds: (string | undefined)[] = []
    const app = App.new().route('/feed', get((req) => {
      const last = Number(req.header('last-event-id') ?? 0)
      lastIds.push(req.header('last-event-id'))
      return HttpResponse.sse((async function* () {
        // Two events a connection, then the response ends and the client comes back.
        for (let id = last + 1; id <= last + 2; id++) yield { id: String(id), data: `event ${id}` }
      })(), { retry: 50 })
    }))
    const server = await start(app)
    const source = new EventSource(`${server.url}/feed`)
    const data: string[] = []
    const done = deferred()
    source.addEventListener('message', (event) => {
      data.push(event.data as string)
      if (data.length === 4) done.resolve()
    })
    await done.promise
    source.close()
    expect(data).toEqual(['event 1', 'event 2', 'event 3', 'event 4'])
    expect(lastIds.slice(0, 2)).toEqual([undefined, '2'])
  })

  it('cancel the source when the client leaves: its finally runs', async () => {
    const finished = deferred<boolean>()
    const app = App.new().route('/ticks', get((req: Request) =>
      HttpResponse.sse((async function* () {
        try {
          for (let n = 0; ; n++) {
            yield { data: n }
            await wait(20)
          }
        } finally {
          finished.resolve(req.signal.aborted)
        }
      })()),
    ))
    const server = await start(app)
    const source = new EventSource(`${server.url}/ticks`)
    await once(source as unknown as EventTarget, 'message')
    source.close()
    expect(await finished.promise).toBe(true)
  })

  it('refuse a line break in event or id: the stream fails, nothing is injected', async () => {
    const app = App.new().route('/bad', get(() =>
      HttpResponse.sse((async function* () {
        yield 'ok'
        yield { event: 'x\nevent: admin', data: 'evil' }
      })()),
    ))
    const server = await start(app)
    let text = ''
    // The response fails: before its head left, or mid-body.
    await expect(
      (async () => {
        const res = await fetch(`${server.url}/bad`)
        const reader = (res.body as ReadableStream<Uint8Array>).getReader()
        for (;;) {
          const { value, done } = await reader.read()
          if (done) return
          text += new TextDecoder().decode(value)
        }
      })(),
    ).rejects.toThrow()
    expect(['', 'data: ok\n\n']).toContain(text)
    expect(() => HttpResponse.sse((async function* () {})(), { retry: -1 })).toThrow(TypeError)
  })

  it('work the same over HTTP/2, and HTTP/1.1 keep-alive goes on after the source ends', async () => {
    const app = App.new().route('/two', get(() => HttpResponse.sse((async function* () {
      yield 'a'
      yield 'b'
    })())))
    const server = await start(app)
    const session = http2.connect(server.url)
    const stream = session.request({ ':path': '/two' })
    const [headers] = (await once(stream, 'response')) as [http2.IncomingHttpHeaders]
    expect(headers['content-type']).toBe('text/event-stream; charset=utf-8')
    let text = ''
    stream.setEncoding('utf8')
    stream.on('data', (chunk: string) => (text += chunk))
    await once(stream, 'end')
    session.close()
    expect(text).toBe('data: a\n\ndata: b\n\n')
    // Two in a row on one keep-alive connection.
    for (let n = 0; n < 2; n++) expect(await read(await fetch(`${server.url}/two`))).toBe('data: a\n\ndata: b\n\n')
  })
})
