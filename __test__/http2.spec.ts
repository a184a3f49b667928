import http2 from 'node:http2'
import { afterEach, describe, expect, it } from 'vitest'
import { App, get, HttpResponse, post } from '@armature/core'
import { start } from './helpers.js'

const sessions: http2.ClientHttp2Session[] = []
afterEach(() => {
  for (const session of sessions.splice(0)) session.close()
})

function request(url: string, headers: http2.OutgoingHttpHeaders, body?: string) {
  const session = http2.connect(url)
  sessions.push(session)
  return exchange(session, headers, body)
}

function exchange(session: http2.ClientHttp2Session, headers: http2.OutgoingHttpHeaders, body?: string) {
  return new Promise<{ headers: http2.IncomingHttpHeaders; body: string }>((resolve, reject) => {
    const stream = session.request(headers)
    let response: http2.IncomingHttpHeaders = {}
    let data = ''
    stream.setEncoding('utf8')
    stream.on('response', (h) => (response = h))
    stream.on('data', (chunk: string) => (data += chunk))
    stream.on('end', () => resolve({ headers: response, body: data }))
    stream.on('error', reject)
    stream.end(body)
  })
}

function app() {
  return App.new()
    .route('/', get((req) => HttpResponse.text(`hello over ${req.httpVersion}`)))
    .route('/echo', post((req) => req.json()))
}

describe('HTTP/2 cleartext (prior knowledge)', () => {
  it('answers GET', async () => {
    const server = await start(app())
    const res = await request(server.url, { ':path': '/' })
    expect(res.headers[':status']).toBe(200)
    expect(res.headers['content-type']).toBe('text/plain; charset=utf-8')
    expect(res.body).toBe('hello over 2')
  })

  it('answers HEAD with the headers and no body', async () => {
    const server = await start(app())
    const res = await request(server.url, { ':path': '/', ':method': 'HEAD' })
    expect(res.headers[':status']).toBe(200)
    expect(res.headers['content-length']).toBe('12')
    expect(res.body).toBe('')
  })

  it('reads request bodies and answers problems', async () => {
    const server = await start(app())
    const ok = await request(server.url, { ':path': '/echo', ':method': 'POST' }, '{"a":[1]}')
    expect(ok.body).toBe('{"a":[1]}')
    const missing = await request(server.url, { ':path': '/missing' })
    expect(missing.headers[':status']).toBe(404)
    expect(missing.headers['content-type']).toBe('application/problem+json')
  })

  it('multiplexes concurrent streams on one connection', async () => {
    const server = await start(app())
    const session = http2.connect(server.url)
    sessions.push(session)
    const bodies = await Promise.all(
      Array.from({ length: 50 }, (_, i) => exchange(session, { ':path': '/echo', ':method': 'POST' }, JSON.stringify({ i }))),
    )
    bodies.forEach((res, i) => expect(JSON.parse(res.body)).toEqual({ i }))
  })
})
