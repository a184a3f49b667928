import net from 'node:net'
import { once } from 'node:events'
import { describe, expect, it } from 'vitest'
import { App, get, post } from '@armature/core'
import { raw, start, statuses } from './helpers.js'

function counted(limits = {}) {
  const calls = { count: 0 }
  const app = App.new({ limits })
    .route('/echo', post((req) => { calls.count++; return req.text() }))
    .route('/ignore', post(() => { calls.count++; return 'ignored' }))
    .route('/ok', get(() => { calls.count++; return 'ok' }))
  return { app, calls }
}

function problemBody(transcript: string): Record<string, unknown> {
  return JSON.parse(transcript.slice(transcript.indexOf('\r\n\r\n') + 4)) as Record<string, unknown>
}

describe('limits', () => {
  it('answers 413 to a declared Content-Length over the limit without reading the body', async () => {
    const { app, calls } = counted({ bodySize: 1024 })
    const server = await start(app)
    // Only the head is sent: an answer proves the engine did not wait for the body.
    const transcript = await raw(server.port, 'POST /echo HTTP/1.1\r\nhost: x\r\ncontent-length: 10000000\r\n\r\n', 5000)
    expect(statuses(transcript)).toEqual([413])
    expect(transcript).toContain('content-type: application/problem+json')
    expect(problemBody(transcript)).toMatchObject({ status: 413, title: 'Payload Too Large', detail: 'the request body is larger than 1024 bytes' })
    expect(calls.count).toBe(0)
  })

  it('answers 413 to a chunked body that grows over the limit', async () => {
    const { app, calls } = counted({ bodySize: 1024 })
    const server = await start(app)
    const chunk = 'x'.repeat(600)
    const body = `258\r\n${chunk}\r\n258\r\n${chunk}\r\n0\r\n\r\n`
    const transcript = await raw(server.port, `POST /echo HTTP/1.1\r\nhost: x\r\ntransfer-encoding: chunked\r\n\r\n${body}`)
    expect(statuses(transcript)).toEqual([413])
    expect(calls.count).toBe(0)
  })

  it('accepts a body exactly at the limit', async () => {
    const { app } = counted({ bodySize: 1024 })
    const server = await start(app)
    const res = await fetch(`${server.url}/echo`, { method: 'POST', body: 'y'.repeat(1024) })
    expect(res.status).toBe(200)
    expect((await res.text()).length).toBe(1024)
  })

  it('answers 431 to headers over the limit', async () => {
    const { app, calls } = counted({ headerSize: 1024 })
    const server = await start(app)
    const res = await fetch(`${server.url}/ok`, { headers: { 'x-big': 'z'.repeat(2000) } })
    expect(res.status).toBe(431)
    expect(res.headers.get('content-type')).toBe('application/problem+json')
    expect(await res.json()).toMatchObject({ status: 431, detail: 'the request headers are larger than 1024 bytes' })
    expect(calls.count).toBe(0)
  })

  it('answers 414 to a request target over the limit', async () => {
    const { app, calls } = counted({ uriLength: 100 })
    const server = await start(app)
    const res = await fetch(`${server.url}/ok?${'q'.repeat(200)}`)
    expect(res.status).toBe(414)
    expect(await res.json()).toEqual({ type: 'about:blank', title: 'URI Too Long', status: 414, detail: 'the request target is longer than 100 bytes' })
    expect(calls.count).toBe(0)
  })

  it('answers 503 when a handler is too slow and discards its late result', async () => {
    let finished = false
    const app = App.new({ limits: { requestTimeout: 200 } })
      .route('/slow', get(async () => { await new Promise((r) => setTimeout(r, 600)); finished = true; return 'late' }))
      .route('/ok', get(() => 'ok'))
    const server = await start(app)
    const res = await fetch(`${server.url}/slow`)
    expect(res.status).toBe(503)
    expect(await res.json()).toEqual({ type: 'about:blank', title: 'Service Unavailable', status: 503, detail: 'the handler did not answer within 200 ms', instance: '/slow' })
    await new Promise((r) => setTimeout(r, 600))
    expect(finished).toBe(true)
    expect(await (await fetch(`${server.url}/ok`)).text()).toBe('ok')
  })

  it('closes an idle keep-alive connection after keepAliveTimeout', async () => {
    const { app } = counted({ keepAliveTimeout: 200 })
    const server = await start(app)
    const socket = net.connect(server.port, '127.0.0.1')
    let received = ''
    socket.on('data', (chunk) => (received += chunk.toString('latin1')))
    socket.write('GET /ok HTTP/1.1\r\nhost: x\r\n\r\n')
    // The client never ends the connection: only the server's idle timeout can close it.
    await once(socket, 'close')
    expect(statuses(received)).toEqual([200])
    expect(received.endsWith('ok')).toBe(true)
  })

  it.each([
    ['no Host', 'GET /ok HTTP/1.1\r\n\r\n', [400]],
    ['two Host headers', 'GET /ok HTTP/1.1\r\nhost: a\r\nhost: b\r\n\r\n', [400]],
    ['an invalid Host', 'GET /ok HTTP/1.1\r\nhost: a b\r\n\r\n', [400]],
  ])('answers 400 to an HTTP/1.1 request with %s', async (_name, request, expected) => {
    const { app, calls } = counted()
    const server = await start(app)
    const transcript = await raw(server.port, request)
    expect(statuses(transcript)).toEqual(expected)
    expect(problemBody(transcript)).toMatchObject({ status: 400, detail: 'an HTTP/1.1 request needs exactly one valid Host header' })
    expect(calls.count).toBe(0)
  })

  it('accepts HTTP/1.0 without Host', async () => {
    const { app } = counted()
    const server = await start(app)
    const transcript = await raw(server.port, 'GET /ok HTTP/1.0\r\n\r\n')
    expect(transcript).toMatch(/^HTTP\/1\.0 200 OK/)
    expect(transcript.endsWith('ok')).toBe(true)
  })

  it.each([
    ['garbage', 'GARBAGE\r\n\r\n'],
    ['a bad header line', 'GET /ok HTTP/1.1\r\nhost: x\r\nno colon here\r\n\r\n'],
    ['a bad content-length', 'POST /echo HTTP/1.1\r\nhost: x\r\ncontent-length: abc\r\n\r\n'],
  ])('answers 400 to %s and never calls a handler', async (_name, request) => {
    const { app, calls } = counted()
    const server = await start(app)
    expect(statuses(await raw(server.port, request))).toEqual([400])
    expect(calls.count).toBe(0)
  })

  it.each([
    ['a handler that ignores it', 'POST /ignore'],
    ['a 404', 'POST /nowhere'],
    ['a 405', 'POST /ok'],
  ])('keeps keep-alive in sync when a body is left unread by %s', async (_name, line) => {
    const { app } = counted()
    const server = await start(app)
    const transcript = await raw(
      server.port,
      `${line} HTTP/1.1\r\nhost: x\r\ncontent-length: 11\r\n\r\nhello worldGET /ok HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n`,
    )
    const codes = statuses(transcript)
    expect(codes).toHaveLength(2)
    expect(codes[1]).toBe(200)
    expect(transcript.endsWith('ok')).toBe(true)
  })

  it.each([
    [{ bodySize: 0 }, 'limits.bodySize must be greater than zero'],
    [{ requestTimeout: -1 }, 'limits.requestTimeout must be a whole number from 0 to 2147483647, got -1'],
    [{ bodyTimeout: 1e300 }, 'limits.bodyTimeout must be a whole number from 0 to 2147483647, got 1e300'],
    [{ bodySize: 2 ** 60 }, 'limits.bodySize must be a whole number from 0 to 9007199254740991, got 1152921504606847000'],
    [{ uriLength: 100000 }, 'limits.uriLength must be at most 65534 bytes'],
  ])('rejects %o with ERR_ARMATURE_INVALID_OPTION', async (limits, message) => {
    await expect(App.new({ limits }).route('/', get(() => 'x')).run({ port: 0 })).rejects.toMatchObject({
      code: 'ERR_ARMATURE_INVALID_OPTION',
      message,
    })
  })
})
