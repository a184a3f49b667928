import { describe, expect, it } from 'vitest'
import { App, get, HttpResponse, type Handler } from '@armature/core'
import { start } from './helpers.js'

async function answer(handler: Handler, options = {}) {
  const server = await start(App.new(options).route('/', get(handler)))
  const res = await fetch(`${server.url}/`)
  return { status: res.status, headers: res.headers, body: await res.text() }
}

describe('handler results', () => {
  it.each<[string, Handler, number, string | null, string]>([
    ['a string', () => 'hi', 200, 'text/plain; charset=utf-8', 'hi'],
    ['an async string', async () => 'hi', 200, 'text/plain; charset=utf-8', 'hi'],
    ['a Buffer', () => Buffer.from('bytes'), 200, 'application/octet-stream', 'bytes'],
    ['a Uint8Array view', () => new Uint8Array([0, 0, 98, 121, 116, 101, 115, 0]).subarray(2, 7), 200, 'application/octet-stream', 'bytes'],
    ['an object', () => ({ a: 1, b: [true, null] }), 200, 'application/json', '{"a":1,"b":[true,null]}'],
    ['an array', () => [1, 'two'], 200, 'application/json', '[1,"two"]'],
    ['a number', () => 42, 200, 'application/json', '42'],
    ['null', () => null, 200, 'application/json', 'null'],
    ['undefined', () => undefined, 204, null, ''],
    ['HttpResponse.text', () => HttpResponse.text('t', { status: 201 }), 201, 'text/plain; charset=utf-8', 't'],
    ['HttpResponse.json', () => HttpResponse.json({ ok: true }), 200, 'application/json', '{"ok":true}'],
    ['HttpResponse.html', () => HttpResponse.html('<p>hi</p>'), 200, 'text/html; charset=utf-8', '<p>hi</p>'],
    ['HttpResponse.bytes', () => HttpResponse.bytes(Buffer.from([104, 105])), 200, 'application/octet-stream', 'hi'],
    ['HttpResponse.empty', () => HttpResponse.empty(), 204, null, ''],
    ['a custom content-type', () => HttpResponse.text('a,b').header('Content-Type', 'text/csv'), 200, 'text/csv', 'a,b'],
    ['a status change', () => HttpResponse.json({}).withStatus(202), 202, 'application/json', '{}'],
  ])('%s', async (_name, handler, status, type, body) => {
    const res = await answer(handler)
    expect(res.status).toBe(status)
    expect(res.headers.get('content-type')).toBe(type)
    expect(res.body).toBe(body)
  })

  it('redirects', async () => {
    const server = await start(App.new().route('/', get(() => HttpResponse.redirect('/there', 301))))
    const res = await fetch(`${server.url}/`, { redirect: 'manual' })
    expect(res.status).toBe(301)
    expect(res.headers.get('location')).toBe('/there')
  })

  it('sends repeated headers once per value and replaces with header()', async () => {
    const res = await answer(() =>
      HttpResponse.text('ok', { headers: { 'set-cookie': ['a=1', 'b=2'], 'x-n': 5 } })
        .header('x-replaced', 'old')
        .header('X-Replaced', 'new'),
    )
    expect(res.headers.getSetCookie()).toEqual(['a=1', 'b=2'])
    expect(res.headers.get('x-n')).toBe('5')
    expect(res.headers.get('x-replaced')).toBe('new')
  })

  it.each<[string, Handler]>([
    ['a function', () => (() => 1) as never],
    ['a symbol', () => Symbol('s') as never],
    ['a bigint in JSON', () => ({ n: 1n })],
    ['a circular object', () => { const o: Record<string, unknown> = {}; o.self = o; return o }],
  ])('turns %s into a 500 problem', async (_name, handler) => {
    const res = await answer(handler)
    expect(res.status).toBe(500)
    expect(res.headers.get('content-type')).toBe('application/problem+json')
    expect(JSON.parse(res.body)).toEqual({ type: 'about:blank', title: 'Internal Server Error', status: 500, instance: '/' })
  })

  it('turns an invalid header into a 500 problem', async () => {
    const res = await answer(() => HttpResponse.text('x').header('bad name', 'v'))
    expect(res.status).toBe(500)
    expect(res.headers.get('content-type')).toBe('application/problem+json')
  })

  it('throws at once for an invalid status', () => {
    expect(() => HttpResponse.text('x', { status: 99 })).toThrow(
      expect.objectContaining({ code: 'ERR_ARMATURE_INVALID_RESPONSE', message: expect.stringContaining('99') }),
    )
  })

  it.each([
    [{}, 'armature'],
    [{ serverName: 'acme/1.0' }, 'acme/1.0'],
    [{ serverName: false as const }, null],
  ])('sets the server header for %o', async (options, expected) => {
    const res = await answer(() => 'x', options)
    expect(res.headers.get('server')).toBe(expected)
    expect(res.headers.get('date')).toMatch(/GMT$/)
  })
})

describe('text through the bridge', () => {
  it('keeps non-ASCII bodies, headers and parameters intact within one batch', async () => {
    const server = await start(
      App.new()
        .route('/say/:word', get((req) => HttpResponse.text(`${req.param('word')} ${String(req.query('q'))} ✓`).header('x-word', 'ascii-only')))
        .route('/emoji', get(() => ({ face: '😀', text: 'naïve café' })))
        .route('/plain', get(() => 'plain')),
    )
    // Fired together so that their answers share one respond() call and one string.
    const urls = Array.from({ length: 30 }, (_, i) =>
      [`/say/${encodeURIComponent('grüße')}?q=${encodeURIComponent('日本')}`, '/emoji', '/plain'][i % 3] as string,
    )
    const responses = await Promise.all(urls.map(async (url) => {
      const res = await fetch(`${server.url}${url}`)
      return { status: res.status, word: res.headers.get('x-word'), body: await res.text() }
    }))
    responses.forEach((res, i) => {
      const expected = [
        { status: 200, word: 'ascii-only', body: 'grüße 日本 ✓' },
        { status: 200, word: null, body: JSON.stringify({ face: '😀', text: 'naïve café' }) },
        { status: 200, word: null, body: 'plain' },
      ][i % 3]
      expect(res).toEqual(expected)
    })
  })

  it('sends non-ASCII header values as UTF-8, refuses control characters, and keeps the other answers', async () => {
    const server = await start(
      App.new()
        .route('/utf8', get(() => HttpResponse.text('x').header('x-name', 'Zoë')))
        .route('/bad', get(() => HttpResponse.text('x').header('x-name', 'line\nbreak')))
        .route('/good', get(() => 'good')),
    )
    const [utf8, bad, good] = await Promise.all([fetch(`${server.url}/utf8`), fetch(`${server.url}/bad`), fetch(`${server.url}/good`)])
    // fetch reads header bytes as Latin-1.
    expect(Buffer.from(utf8.headers.get('x-name') ?? '', 'latin1').toString('utf8')).toBe('Zoë')
    expect(bad.status).toBe(500)
    expect(bad.headers.get('content-type')).toBe('application/problem+json')
    expect(good.status).toBe(200)
    expect(await good.text()).toBe('good')
  })

  it('keeps the factory content-type when a header value merely mentions content-type', async () => {
    const server = await start(
      App.new().route('/', get(() => HttpResponse.json({ ok: true }, { headers: { 'access-control-allow-headers': 'content-type' } }))),
    )
    const res = await fetch(`${server.url}/`)
    expect(res.headers.get('content-type')).toBe('application/json')
    expect(res.headers.get('access-control-allow-headers')).toBe('content-type')
    expect(await res.json()).toEqual({ ok: true })
  })
})
