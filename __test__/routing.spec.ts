import { describe, expect, it } from 'vitest'
import { any, App, del, get, HttpResponse, post, scope } from '@armature/core'
import { raw, start, statuses } from './helpers.js'

function app() {
  return App.new()
    .route('/', get(() => 'root'))
    .route('/users/:id', get((req) => `user ${req.param('id')}`).delete((req) => `deleted ${req.param('id')}`))
    .route('/users/:id/posts/:postId', get((req) => req.params))
    .route('/files/*path', get((req) => req.param('path')))
    .route('/search', get((req) => req.queries))
    .route('/items', post(() => 'created'))
    .route('/items', get(() => 'listed'))
    .route('/anything', any((req) => req.method))
    .route('/ping', get(HttpResponse.text('pong', { headers: { 'x-fixed': 'yes' } })))
    .service(
      scope('/api/v1')
        .route('/', get(() => 'api root'))
        .route('/items/:id', get((req) => `api item ${req.param('id')}`))
        .service(scope('/admin').route('/stats', get(() => 'stats'))),
    )
}

describe('routing', () => {
  it.each([
    ['GET', '/', 200, 'root'],
    ['GET', '/users/42', 200, 'user 42'],
    ['DELETE', '/users/42', 200, 'deleted 42'],
    ['GET', '/users/caf%C3%A9', 200, 'user café'],
    ['GET', '/users/7/posts/9', 200, '{"id":"7","postId":"9"}'],
    ['GET', '/files/a/b/c.txt', 200, 'a/b/c.txt'],
    ['GET', '/search?q=a+b&tag=x&tag=y&empty=&flag', 200, '{"q":"a b","tag":["x","y"],"empty":"","flag":""}'],
    ['GET', '/search?bad=%ZZ', 200, '{"bad":"%ZZ"}'],
    ['POST', '/items', 200, 'created'],
    ['GET', '/items', 200, 'listed'],
    ['PATCH', '/anything', 200, 'PATCH'],
    ['PROPFIND', '/anything', 200, 'PROPFIND'],
    ['GET', '/ping', 200, 'pong'],
    ['GET', '/api/v1', 200, 'api root'],
    ['GET', '/api/v1/items/3', 200, 'api item 3'],
    ['GET', '/api/v1/admin/stats', 200, 'stats'],
  ])('%s %s → %i %s', async (method, path, status, body) => {
    const server = await start(app())
    const res = await fetch(server.url + path, { method })
    expect(res.status).toBe(status)
    expect(await res.text()).toBe(body)
  })

  it('serves a constant HttpResponse from the engine with its headers', async () => {
    const server = await start(app())
    const res = await fetch(`${server.url}/ping`)
    expect(res.headers.get('x-fixed')).toBe('yes')
    expect(res.headers.get('content-type')).toBe('text/plain; charset=utf-8')
  })

  it('serves repeated headers of a constant response once per value', async () => {
    const fixed = HttpResponse.json({ ok: true }, { headers: { 'set-cookie': ['a=1', 'b=2'] } })
    const server = await start(App.new().route('/fixed', get(fixed)))
    const res = await fetch(`${server.url}/fixed`)
    expect(res.headers.getSetCookie()).toEqual(['a=1', 'b=2'])
    expect(res.headers.get('content-type')).toBe('application/json')
    expect(await res.json()).toEqual({ ok: true })
  })

  it.each([
    ['GET', '/nope'],
    ['GET', '/users'],
    ['GET', '/users/1/extra'],
    ['GET', '/files'],
  ])('%s %s → 404 problem', async (method, path) => {
    const server = await start(app())
    const res = await fetch(server.url + path, { method })
    expect(res.status).toBe(404)
    expect(res.headers.get('content-type')).toBe('application/problem+json')
    expect(await res.json()).toEqual({
      type: 'about:blank',
      title: 'Not Found',
      status: 404,
      detail: `no route matches ${method} ${path}`,
      instance: path,
    })
  })

  it('answers 405 with Allow when the path exists but the method does not', async () => {
    const server = await start(app())
    const res = await fetch(`${server.url}/users/1`, { method: 'PUT' })
    expect(res.status).toBe(405)
    expect(res.headers.get('allow')).toBe('DELETE, GET, HEAD, OPTIONS')
    expect(res.headers.get('content-type')).toBe('application/problem+json')
    expect(await res.json()).toMatchObject({ status: 405, title: 'Method Not Allowed', instance: '/users/1' })
  })

  it('answers OPTIONS with Allow', async () => {
    const server = await start(app())
    const res = await fetch(`${server.url}/items`, { method: 'OPTIONS' })
    expect(res.status).toBe(204)
    expect(res.headers.get('allow')).toBe('GET, HEAD, OPTIONS, POST')
    expect(await res.text()).toBe('')
  })

  it('answers HEAD for GET routes with the same headers and no body', async () => {
    const server = await start(
      App.new().route('/doc', get(() => HttpResponse.json({ hello: 'world' }).header('etag', '"v1"'))),
    )
    const getRes = await fetch(`${server.url}/doc`)
    const headRes = await fetch(`${server.url}/doc`, { method: 'HEAD' })
    expect(headRes.status).toBe(200)
    expect(await headRes.text()).toBe('')
    for (const name of ['content-type', 'content-length', 'etag', 'server']) {
      expect(headRes.headers.get(name), name).toBe(getRes.headers.get(name))
    }
    expect(headRes.headers.get('content-length')).toBe('17')
  })

  it('keeps the connection usable after HEAD: no body bytes are sent', async () => {
    const server = await start(App.new().route('/doc', get(() => HttpResponse.json({ hello: 'world' }))))
    const transcript = await raw(
      server.port,
      'HEAD /doc HTTP/1.1\r\nhost: x\r\n\r\nGET /doc HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n',
    )
    expect(statuses(transcript)).toEqual([200, 200])
    expect(transcript.split('{"hello":"world"}').length - 1).toBe(1)
    expect(transcript.endsWith('{"hello":"world"}')).toBe(true)
  })

  it('tells a GET handler answering HEAD that the method is HEAD', async () => {
    const seen: string[] = []
    const server = await start(App.new().route('/m', get((req) => void seen.push(req.method))))
    await fetch(`${server.url}/m`, { method: 'HEAD' })
    expect(seen).toEqual(['HEAD'])
  })
})

describe('route registration', () => {
  it.each([
    ['/users/:id', '/users/:name', "route '/users/:name' conflicts with the route '/users/:id' registered before it"],
    ['/files/*path', '/files/*rest', "route '/files/*rest' conflicts with the route '/files/*path' registered before it"],
    ['/users/:id', '/users/:id', "route 'GET /users/:id' is already registered (as '/users/:id')"],
  ])('%s then %s throws ERR_ARMATURE_ROUTE_CONFLICT', (first, second, message) => {
    const app = App.new().route(first, get(() => 'a'))
    expect(() => app.route(second, get(() => 'b'))).toThrow(
      expect.objectContaining({ code: 'ERR_ARMATURE_ROUTE_CONFLICT', message }),
    )
  })

  it.each([
    ['users', "invalid route 'users': a route path must start with '/'"],
    ['/users/:', "invalid route '/users/:': a parameter needs a name"],
    ['/files/*path/more', "invalid route '/files/*path/more': a wildcard (*name) must be the last segment"],
  ])('%s throws ERR_ARMATURE_INVALID_ROUTE', (path, message) => {
    expect(() => App.new().route(path, get(() => 'x'))).toThrow(
      expect.objectContaining({ code: 'ERR_ARMATURE_INVALID_ROUTE', message: expect.stringContaining(message) }),
    )
  })

  it('rejects conflicts between a scope and the app when the scope is added', () => {
    const app = App.new().route('/api/items', get(() => 'a'))
    const api = scope('/api').route('/items', get(() => 'b'))
    expect(() => app.service(api)).toThrow(expect.objectContaining({ code: 'ERR_ARMATURE_ROUTE_CONFLICT' }))
  })

  it('rejects conflicts inside a scope where they are declared', () => {
    const api = scope('/api').route('/items/:id', get(() => 'a'))
    expect(() => api.route('/items/:key', get(() => 'b'))).toThrow(
      expect.objectContaining({ code: 'ERR_ARMATURE_ROUTE_CONFLICT' }),
    )
  })

  it('rejects a handler that is not a function', () => {
    expect(() => App.new().route('/x', get(42 as never))).toThrow(
      expect.objectContaining({ code: 'ERR_ARMATURE_INVALID_ROUTE', message: expect.stringContaining("'/x'") }),
    )
  })

  it('exports the standalone delete starter', async () => {
    const server = await start(App.new().route('/d', del(() => 'gone')))
    expect(await (await fetch(`${server.url}/d`, { method: 'DELETE' })).text()).toBe('gone')
  })
})
