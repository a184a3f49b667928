import { once } from 'node:events'
import http2 from 'node:http2'
import { describe, expect, it } from 'vitest'
import { App, get, HttpResponse, post, SecurityHeaders, type Middleware } from '@armature/core'
import { testClient } from '@armature/core/testing'
import { start } from './helpers.js'

const SECRET = 'a secret of sixteen chars'

describe('cookies', () => {
  it('reads the cookies a client sent', async () => {
    const client = testClient(App.new().route('/', get((req) => ({ all: req.cookies, theme: req.cookie('theme') ?? null, none: req.cookie('none') ?? null }))))
    const res = await client.get('/', { headers: { cookie: 'theme=dark; name=J%C3%BCrgen%20B; empty=' } })
    expect(res.json()).toEqual({ all: { theme: 'dark', name: 'Jürgen B', empty: '' }, theme: 'dark', none: null })
    expect((await client.get('/')).json()).toEqual({ all: {}, theme: null, none: null })
  })

  it('sets cookies with their attributes, and clears them', async () => {
    const server = await start(
      App.new().route(
        '/',
        get(() =>
          HttpResponse.text('ok')
            .cookie('session', 'abc 123', { httpOnly: true, secure: true, sameSite: 'lax', maxAge: 3600, path: '/', domain: 'example.com' })
            .cookie('theme', 'dark')
            .clearCookie('old', { path: '/app' }),
        ),
      ),
    )
    const res = await fetch(`${server.url}/`)
    expect(res.headers.getSetCookie()).toEqual([
      'session=abc%20123; Max-Age=3600; Domain=example.com; Path=/; HttpOnly; Secure; SameSite=Lax',
      'theme=dark',
      'old=; Max-Age=0; Path=/app; Expires=Thu, 01 Jan 1970 00:00:00 GMT',
    ])
  })

  it('signs cookies and refuses ones a client changed', async () => {
    const app = App.new({ cookies: { secret: [SECRET, 'an older secret still valid'] } })
      .route('/login', post(() => HttpResponse.empty().cookie('user', 'ada', { signed: true, httpOnly: true })))
      .route('/me', get((req) => ({ user: req.signedCookie('user') ?? null, raw: req.cookie('user') ?? null })))
    const server = await start(app)
    const login = await fetch(`${server.url}/login`, { method: 'POST' })
    const [setCookie] = login.headers.getSetCookie()
    expect(setCookie).toMatch(/^user=s%3Aada\.[\w%]+; HttpOnly$/)
    const cookie = (setCookie ?? '').split(';')[0] ?? ''
    const me = await fetch(`${server.url}/me`, { headers: { cookie } })
    expect(await me.json()).toMatchObject({ user: 'ada' })
    const forged = await fetch(`${server.url}/me`, { headers: { cookie: cookie.replace('ada', 'eve') } })
    expect(await forged.json()).toMatchObject({ user: null, raw: expect.stringContaining('eve') })
    const unsigned = await fetch(`${server.url}/me`, { headers: { cookie: 'user=ada' } })
    expect(await unsigned.json()).toEqual({ user: null, raw: 'ada' })
    // A cookie signed with the older secret still verifies after rotation.
    const older = App.new({ cookies: { secret: 'an older secret still valid' } }).route('/login', post(() => HttpResponse.empty().cookie('user', 'bob', { signed: true })))
    const oldCookie = ((await testClient(older).post('/login')).header('set-cookie') ?? '').split(';')[0] ?? ''
    expect(await (await fetch(`${server.url}/me`, { headers: { cookie: oldCookie } })).json()).toMatchObject({ user: 'bob' })
  })

  it('throws for what a cookie cannot carry, and without a secret to sign with', async () => {
    expect(() => HttpResponse.text('x').cookie('bad name', 'v')).toThrow(TypeError)
    expect(() => HttpResponse.text('x').cookie('ok', 'v', { domain: 'bad domain' })).toThrow(TypeError)
    expect(() => App.new({ cookies: { secret: 'short' } })).toThrow(expect.objectContaining({ code: 'ERR_ARMATURE_INVALID_OPTION' }))
    const res = await testClient(App.new().route('/', get(() => HttpResponse.empty().cookie('s', 'v', { signed: true })))).get('/')
    expect(res.status).toBe(500)
  })
})

describe('content negotiation', () => {
  it('picks the type the client prefers', async () => {
    const client = testClient(App.new().route('/', get((req) => String(req.accepts(['json', 'html'])))))
    const cases: [string | undefined, string][] = [
      ['text/html,application/xhtml+xml;q=0.9', 'html'],
      ['application/json', 'json'],
      ['text/html;q=0.5, application/json;q=0.8', 'json'],
      ['*/*', 'json'],
      [undefined, 'json'],
      ['image/png', 'false'],
    ]
    for (const [accept, expected] of cases) {
      const res = await client.get('/', { headers: accept ? { accept } : {} })
      expect(res.text(), accept).toBe(expected)
    }
  })
})

describe('HttpResponse.cacheControl', () => {
  it('writes the directives, and refuses contradictions and bad ages', () => {
    expect(HttpResponse.json({}).cacheControl({ public: true, maxAge: 60, staleWhileRevalidate: 30 }).headers['cache-control']).toBe(
      'public, max-age=60, stale-while-revalidate=30',
    )
    expect(HttpResponse.json({}).cacheControl({ noStore: true }).headers['cache-control']).toBe('no-store')
    expect(HttpResponse.json({}).cacheControl({ private: true, noCache: true, mustRevalidate: true, sMaxAge: 0, immutable: true }).headers['cache-control']).toBe(
      'private, no-cache, must-revalidate, immutable, s-maxage=0',
    )
    expect(() => HttpResponse.json({}).cacheControl({ public: true, private: true })).toThrow(RangeError)
    expect(() => HttpResponse.json({}).cacheControl({ maxAge: -1 })).toThrow('max-age must be a whole number of seconds')
    expect(() => HttpResponse.json({}).cacheControl({ maxAge: 1.5 })).toThrow(RangeError)
    expect(() => HttpResponse.json({}).cacheControl({})).toThrow('at least one directive')
  })

  it('keeps signed cookies when a native middleware runs inside a JS one', async () => {
    const js: Middleware = async (req, next) => next(req)
    const app = App.new({ cookies: { secret: SECRET } })
      .wrap(js)
      .wrap(SecurityHeaders.default())
      .route('/login', get(() => HttpResponse.text('in').cookie('user', 'ada', { signed: true }).cookie('theme', 'dark')))
    const server = await start(app)
    const res = await fetch(`${server.url}/login`)
    expect(res.headers.get('x-frame-options')).toBe('SAMEORIGIN')
    const cookies = res.headers.getSetCookie()
    expect(cookies).toHaveLength(2)
    expect(cookies).toContain('theme=dark')
    expect(cookies.find((c) => /^user=s%3Aada\.[\w%]+$/.test(c))).toBeDefined()
  })

  it('joins the cookie fields an HTTP/2 client sends separately with "; "', async () => {
    const server = await start(App.new().route('/', get((req) => ({ a: req.cookie('a') ?? null, b: req.cookie('b') ?? null, header: req.headers.cookie }))))
    const session = http2.connect(server.url)
    const stream = session.request({ ':path': '/', cookie: ['a=1', 'b=2'] })
    let body = ''
    stream.setEncoding('utf8')
    stream.on('data', (chunk: string) => (body += chunk))
    await once(stream, 'end')
    session.close()
    expect(JSON.parse(body)).toEqual({ a: '1', b: '2', header: 'a=1; b=2' })
  })
})
