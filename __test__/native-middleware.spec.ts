import { describe, expect, it } from 'vitest'
import { App, BodyLimit, Compression, Cors, ETag, get, HttpError, HttpResponse, post, put, RequestId, scope, SecurityHeaders, Timeout, type Middleware } from '@armature/core'
import { start } from './helpers.js'

const HELMET = {
  'content-security-policy':
    "base-uri 'self';default-src 'self';font-src 'self' https: data:;form-action 'self';frame-ancestors 'self';img-src 'self' data:;object-src 'none';script-src 'self';script-src-attr 'none';style-src 'self' https: 'unsafe-inline';upgrade-insecure-requests",
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
  'origin-agent-cluster': '?1',
  'referrer-policy': 'no-referrer',
  'strict-transport-security': 'max-age=31536000; includeSubDomains',
  'x-content-type-options': 'nosniff',
  'x-dns-prefetch-control': 'off',
  'x-download-options': 'noopen',
  'x-frame-options': 'SAMEORIGIN',
  'x-permitted-cross-domain-policies': 'none',
  'x-xss-protection': '0',
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/

function pick(headers: Headers, names: string[]): Record<string, string | null> {
  return Object.fromEntries(names.map((name) => [name, headers.get(name)]))
}

describe('SecurityHeaders', () => {
  it('sets helmet-like defaults on handler, constant and engine answers', async () => {
    const server = await start(
      App.new()
        .wrap(SecurityHeaders.default())
        .route('/', get(() => 'hi'))
        .route('/fixed', get(HttpResponse.text('fixed'))),
    )
    for (const path of ['/', '/fixed', '/missing']) {
      const res = await fetch(`${server.url}${path}`)
      expect(pick(res.headers, Object.keys(HELMET)), path).toEqual(HELMET)
    }
    const preflight = await fetch(`${server.url}/`, { method: 'OPTIONS' })
    expect(preflight.headers.get('x-frame-options')).toBe('SAMEORIGIN')
  })

  it('never replaces a header the handler set', async () => {
    const server = await start(
      App.new()
        .wrap(SecurityHeaders.default())
        .route('/', get(() => HttpResponse.text('hi').header('x-frame-options', 'DENY'))),
    )
    const res = await fetch(`${server.url}/`)
    expect(res.headers.get('x-frame-options')).toBe('DENY')
    expect(res.headers.get('x-content-type-options')).toBe('nosniff')
  })

  it('builds the policy and headers from options', async () => {
    const server = await start(
      App.new()
        .wrap(
          SecurityHeaders.new({
            contentSecurityPolicy: { directives: { 'img-src': ["'self'", 'https://cdn.example.com'], 'upgrade-insecure-requests': false } },
            strictTransportSecurity: { maxAge: 63072000, preload: true },
            headers: { 'x-frame-options': 'DENY', 'x-download-options': false, 'permissions-policy': 'camera=()' },
          }),
        )
        .route('/', get(() => 'hi')),
    )
    const res = await fetch(`${server.url}/`)
    const csp = res.headers.get('content-security-policy') ?? ''
    expect(csp).toContain("img-src 'self' https://cdn.example.com")
    expect(csp).toContain("default-src 'self'")
    expect(csp).not.toContain('upgrade-insecure-requests')
    expect(pick(res.headers, ['strict-transport-security', 'x-frame-options', 'x-download-options', 'permissions-policy'])).toEqual({
      'strict-transport-security': 'max-age=63072000; includeSubDomains; preload',
      'x-frame-options': 'DENY',
      'x-download-options': null,
      'permissions-policy': 'camera=()',
    })
  })

  it('turns whole headers off', async () => {
    const server = await start(
      App.new()
        .wrap(SecurityHeaders.new({ contentSecurityPolicy: false, strictTransportSecurity: false }))
        .route('/', get(() => 'hi')),
    )
    const res = await fetch(`${server.url}/`)
    expect(pick(res.headers, ['content-security-policy', 'strict-transport-security', 'x-frame-options'])).toEqual({
      'content-security-policy': null,
      'strict-transport-security': null,
      'x-frame-options': 'SAMEORIGIN',
    })
  })

  it('throws ERR_ARMATURE_INVALID_OPTION for options it cannot use, where they are made', () => {
    const cases: [() => unknown, string][] = [
      [() => SecurityHeaders.new({ headers: { 'bad name': 'x' } }), "'bad name' is not a valid header name"],
      [() => SecurityHeaders.new({ headers: { 'x-a': 'line\nbreak' } }), "the value of 'x-a' is not a valid header value"],
      [() => SecurityHeaders.new({ strictTransportSecurity: { maxAge: 60, preload: true } }), 'preload needs maxAge of at least 31536000'],
      [() => SecurityHeaders.new({ contentSecurityPolicy: { directives: { 'Script-Src': ["'self'"] } } }), "directive 'Script-Src' is not a directive name"],
      [() => SecurityHeaders.new({ contentSecurityPolicy: { directives: { 'script-src': ["'self'; evil"] } } }), 'is not a single source'],
      [() => SecurityHeaders.new({ frameOptions: 'DENY' } as never), 'unknown field `frameOptions`'],
    ]
    for (const [make, message] of cases) {
      expect(make).toThrow(expect.objectContaining({ code: 'ERR_ARMATURE_INVALID_OPTION', message: expect.stringContaining(message) }))
    }
  })
})

describe('RequestId', () => {
  it('gives each request an id the handler reads and the response echoes', async () => {
    const server = await start(App.new().wrap(RequestId.default()).route('/', get((req) => req.header('x-request-id') ?? 'none')))
    const [a, b] = await Promise.all([fetch(`${server.url}/`), fetch(`${server.url}/`)])
    const idA = a.headers.get('x-request-id') ?? ''
    expect(idA).toMatch(UUID)
    expect(await a.text()).toBe(idA)
    expect(b.headers.get('x-request-id')).not.toBe(idA)
    const missing = await fetch(`${server.url}/missing`)
    expect(missing.headers.get('x-request-id')).toMatch(UUID)
  })

  it('keeps a well-formed incoming id and replaces a malformed one', async () => {
    const server = await start(App.new().wrap(RequestId.default()).route('/', get((req) => req.header('x-request-id') ?? 'none')))
    const kept = await fetch(`${server.url}/`, { headers: { 'x-request-id': 'trace-42.a:b' } })
    expect(kept.headers.get('x-request-id')).toBe('trace-42.a:b')
    expect(await kept.text()).toBe('trace-42.a:b')
    for (const bad of ['has space', 'x'.repeat(129), '<script>']) {
      const res = await fetch(`${server.url}/`, { headers: { 'x-request-id': bad } })
      expect(res.headers.get('x-request-id'), bad).toMatch(UUID)
    }
  })

  it('puts the id into problem bodies, from the engine and from handlers', async () => {
    const server = await start(
      App.new().wrap(RequestId.default()).route('/fail', get(() => { throw new HttpError(409, 'taken') })),
    )
    for (const path of ['/missing', '/fail']) {
      const res = await fetch(`${server.url}${path}`, { headers: { 'x-request-id': `id-${path.slice(1)}` } })
      const body = (await res.json()) as Record<string, unknown>
      expect(body, path).toMatchObject({ requestId: `id-${path.slice(1)}`, instance: path })
      expect(Number(res.headers.get('content-length')), path).toBe(JSON.stringify(body).length)
    }
  })

  it('uses another header, and can ignore the client', async () => {
    const server = await start(
      App.new()
        .wrap(RequestId.new({ header: 'x-correlation-id', trustIncoming: false }))
        .route('/', get((req) => req.header('x-correlation-id') ?? 'none')),
    )
    const res = await fetch(`${server.url}/`, { headers: { 'x-correlation-id': 'mine' } })
    expect(res.headers.get('x-correlation-id')).toMatch(UUID)
    expect(res.headers.get('x-request-id')).toBeNull()
    expect(() => RequestId.new({ header: 'no good' })).toThrow(expect.objectContaining({ code: 'ERR_ARMATURE_INVALID_OPTION' }))
  })
})

describe('native and JS middleware together', () => {
  /** Reports what it saw of the request before `next` and of the response after it. */
  const observer: Middleware = async (req, next) => {
    const before = req.header('x-request-id') ?? 'none'
    const res = await next(req)
    return res.header('x-seen-id', before).header('x-seen-frame', res.headers['x-frame-options'] ?? 'none')
  }

  it('runs native middleware declared first around the JS ones', async () => {
    const server = await start(
      App.new().wrap(RequestId.default()).wrap(SecurityHeaders.default()).wrap(observer).route('/', get(() => 'hi')),
    )
    const res = await fetch(`${server.url}/`)
    expect(res.headers.get('x-seen-id')).toMatch(UUID)
    // The engine adds security headers after the JS chain answered.
    expect(res.headers.get('x-seen-frame')).toBe('none')
    expect(res.headers.get('x-frame-options')).toBe('SAMEORIGIN')
  })

  it('runs native middleware declared after a JS one inside it, in order', async () => {
    const server = await start(
      App.new()
        .wrap(observer)
        .wrap(RequestId.default())
        .wrap(SecurityHeaders.default())
        .route('/', get((req) => req.header('x-request-id') ?? 'none')),
    )
    const res = await fetch(`${server.url}/`)
    const id = res.headers.get('x-request-id') ?? ''
    expect(id).toMatch(UUID)
    expect(await res.text()).toBe(id)
    expect(res.headers.get('x-seen-id')).toBe('none')
    expect(res.headers.get('x-seen-frame')).toBe('SAMEORIGIN')
  })

  it('applies scope and route middleware to their routes only, constant responses included', async () => {
    const denyFrames = SecurityHeaders.new({ contentSecurityPolicy: false, headers: { 'x-frame-options': 'DENY' } })
    const server = await start(
      App.new()
        .wrap(observer)
        .route('/open', get(() => 'open'))
        .route('/traced', get(() => 'traced').wrap(RequestId.default()))
        .service(scope('/admin').wrap(denyFrames).route('/', get(() => 'admin')).route('/static', get(HttpResponse.text('static')))),
    )
    const [open, traced, admin, fixed] = await Promise.all(
      ['/open', '/traced', '/admin', '/admin/static'].map((path) => fetch(`${server.url}${path}`)),
    )
    expect(open?.headers.get('x-frame-options')).toBeNull()
    expect(open?.headers.get('x-request-id')).toBeNull()
    expect(traced?.headers.get('x-request-id')).toMatch(UUID)
    expect(admin?.headers.get('x-frame-options')).toBe('DENY')
    expect(admin?.headers.get('x-seen-frame')).toBe('DENY')
    expect(fixed?.headers.get('x-frame-options')).toBe('DENY')
    expect(fixed?.headers.get('x-seen-frame')).toBeNull()
  })
})

describe('Cors', () => {
  const preflight = (url: string, origin: string, method = 'PUT', headers?: string) =>
    fetch(url, {
      method: 'OPTIONS',
      headers: { origin, 'access-control-request-method': method, ...(headers ? { 'access-control-request-headers': headers } : {}) },
    })

  it('answers preflights natively, before JS middleware and for any path', async () => {
    let jsRan = 0
    const server = await start(
      App.new()
        .wrap(Cors.permissive())
        .wrap(async (req, next) => {
          jsRan++
          return next(req)
        })
        .route('/items', get(() => 'items')),
    )
    const res = await preflight(`${server.url}/items`, 'https://app.example.com', 'DELETE', 'x-token, content-type')
    expect(res.status).toBe(204)
    expect(pick(res.headers, ['access-control-allow-origin', 'access-control-allow-methods', 'access-control-allow-headers', 'access-control-max-age'])).toEqual({
      'access-control-allow-origin': '*',
      'access-control-allow-methods': 'GET, HEAD, PUT, PATCH, POST, DELETE',
      'access-control-allow-headers': 'x-token, content-type',
      'access-control-max-age': null,
    })
    expect(jsRan).toBe(0)
    const actual = await fetch(`${server.url}/items`, { headers: { origin: 'https://app.example.com' } })
    expect(actual.headers.get('access-control-allow-origin')).toBe('*')
    expect(actual.headers.get('vary')).toBeNull()
    expect(await actual.text()).toBe('items')
    expect(jsRan).toBe(1)
    // A plain OPTIONS (no preflight) still gets the route table's Allow.
    const options = await fetch(`${server.url}/items`, { method: 'OPTIONS' })
    expect(options.headers.get('allow')).toBe('GET, HEAD, OPTIONS')
  })

  it('allows listed origins and patterns only, with credentials, max age and exposed headers', async () => {
    const server = await start(
      App.new()
        .wrap(
          Cors.new({
            origins: ['https://app.example.com', 'https://*.example.org'],
            methods: ['GET', 'POST'],
            headers: ['content-type', 'x-token'],
            credentials: true,
            maxAge: 600,
            exposeHeaders: ['x-total'],
          }),
        )
        .route('/', get(() => HttpResponse.text('hi').header('vary', 'Accept-Encoding').header('x-total', '3'))),
    )
    const allowed = await preflight(`${server.url}/`, 'https://app.example.com', 'POST')
    expect(pick(allowed.headers, ['access-control-allow-origin', 'access-control-allow-methods', 'access-control-allow-headers', 'access-control-allow-credentials', 'access-control-max-age', 'vary'])).toEqual({
      'access-control-allow-origin': 'https://app.example.com',
      'access-control-allow-methods': 'GET, POST',
      'access-control-allow-headers': 'content-type, x-token',
      'access-control-allow-credentials': 'true',
      'access-control-max-age': '600',
      'vary': 'Origin, Access-Control-Request-Method, Access-Control-Request-Headers',
    })
    const refused = await preflight(`${server.url}/`, 'https://evil.example.com')
    expect(refused.status).toBe(204)
    expect(refused.headers.get('access-control-allow-origin')).toBeNull()
    const sub = await fetch(`${server.url}/`, { headers: { origin: 'https://api.eu.example.org:8443' } })
    expect(pick(sub.headers, ['access-control-allow-origin', 'access-control-allow-credentials', 'access-control-expose-headers', 'vary'])).toEqual({
      'access-control-allow-origin': 'https://api.eu.example.org:8443',
      'access-control-allow-credentials': 'true',
      'access-control-expose-headers': 'x-total',
      'vary': 'Accept-Encoding, Origin',
    })
    for (const origin of ['https://example.org', 'http://api.example.org', 'https://app.example.com.evil.net']) {
      const res = await fetch(`${server.url}/`, { headers: { origin } })
      expect(res.headers.get('access-control-allow-origin'), origin).toBeNull()
      expect(res.headers.get('vary'), origin).toBe('Accept-Encoding, Origin')
    }
  })

  it('throws ERR_ARMATURE_INVALID_OPTION for unusable options', () => {
    const cases: [() => unknown, string][] = [
      [() => Cors.new({ origins: ['app.example.com'] }), "origin 'app.example.com' is not scheme://host[:port]"],
      [() => Cors.new({ origins: ['https://a*.example.com'] }), 'a wildcard must be a whole leading label'],
      [() => Cors.new({ credentials: true }), 'credentials need a list of origins'],
      [() => Cors.new({ methods: ['GET POST'] }), "'GET POST' is not a method"],
      [() => Cors.new({ exposeHeaders: ['bad header'] }), "'bad header' is not a header name"],
      [() => Cors.new({ origins: 'all' as '*' }), 'origins must be "*" or a list'],
    ]
    for (const [make, message] of cases) {
      expect(make).toThrow(expect.objectContaining({ code: 'ERR_ARMATURE_INVALID_OPTION', message: expect.stringContaining(message) }))
    }
  })
})

describe('BodyLimit and Timeout', () => {
  const echo = () => post((req) => ({ bytes: req.body.length }))

  it('replace the app limits for the routes they wrap, wherever they are declared', async () => {
    const server = await start(
      App.new({ limits: { bodySize: 64 } })
        .wrap(async (req, next) => next(req))
        .route('/small', echo())
        .service(scope('/upload').wrap(BodyLimit.new('1kb')).route('/', echo()))
        .route('/bytes', echo().wrap(BodyLimit.new(100))),
    )
    const send = async (path: string, size: number, chunked = false) => {
      const body = 'x'.repeat(size)
      const res = await fetch(`${server.url}${path}`, {
        method: 'POST',
        body: chunked ? new Blob([body]).stream() : body,
        ...(chunked ? { duplex: 'half' } : {}),
      } as RequestInit)
      return { status: res.status, body: (await res.json()) as { bytes?: number; detail?: string } }
    }
    expect(await send('/upload', 500)).toEqual({ status: 200, body: { bytes: 500 } })
    expect(await send('/upload', 2000)).toMatchObject({ status: 413, body: { detail: 'the request body is larger than 1024 bytes' } })
    expect(await send('/upload', 2000, true)).toMatchObject({ status: 413, body: { detail: 'the request body is larger than 1024 bytes' } })
    expect(await send('/small', 500)).toMatchObject({ status: 413, body: { detail: 'the request body is larger than 64 bytes' } })
    expect(await send('/bytes', 90)).toEqual({ status: 200, body: { bytes: 90 } })
    expect(await send('/bytes', 101)).toMatchObject({ status: 413 })
  })

  it('take the one closest to the route, and may differ between the methods of one path', async () => {
    const server = await start(
      App.new()
        .wrap(async (req, next) => next(req))
        .wrap(BodyLimit.new('1kb'))
        .route('/app', echo())
        .service(
          scope('/scoped')
            .wrap(BodyLimit.new(100))
            .route('/', echo())
            .route('/wider', echo().wrap(BodyLimit.new('2kb'))),
        )
        .route('/methods', post((req) => ({ bytes: req.body.length })).wrap(BodyLimit.new(10)))
        .route('/methods', put((req) => ({ bytes: req.body.length }))),
    )
    const status = async (method: string, path: string, size: number) =>
      (await fetch(`${server.url}${path}`, { method, body: 'x'.repeat(size) })).status
    expect(await status('POST', '/app', 1000)).toBe(200)
    expect(await status('POST', '/app', 1100)).toBe(413)
    expect(await status('POST', '/scoped', 100)).toBe(200)
    expect(await status('POST', '/scoped', 101)).toBe(413)
    expect(await status('POST', '/scoped/wider', 2000)).toBe(200)
    expect(await status('POST', '/methods', 11)).toBe(413)
    expect(await status('PUT', '/methods', 500)).toBe(200)
  })

  it('answers 503 when a wrapped handler takes longer than its Timeout', async () => {
    const slow = get(async () => {
      await new Promise((resolve) => setTimeout(resolve, 300))
      return 'late'
    })
    const server = await start(
      App.new()
        .route('/slow', slow.wrap(Timeout.new('100ms')))
        .service(scope('/patient').wrap(Timeout.new(5000)).route('/', get(async () => {
          await new Promise((resolve) => setTimeout(resolve, 150))
          return 'in time'
        }))),
    )
    const late = await fetch(`${server.url}/slow`)
    expect(late.status).toBe(503)
    expect(await late.json()).toMatchObject({ detail: 'the handler did not answer within 100 ms' })
    const patient = await fetch(`${server.url}/patient`)
    expect(await patient.text()).toBe('in time')
  })

  it('throw ERR_ARMATURE_INVALID_OPTION for sizes and times they cannot read', () => {
    const cases: [() => unknown, string][] = [
      [() => BodyLimit.new('lots'), "bodyLimit: 'lots' is not a size"],
      [() => BodyLimit.new(0), 'bodyLimit must be above zero'],
      [() => BodyLimit.new(1.5), 'bodyLimit must be a whole number from 0 to 9007199254740991, got 1.5'],
      [() => BodyLimit.new('10'), "bodyLimit: '10' has no unit"],
      [() => Timeout.new('soon'), "timeout: 'soon' is not a duration"],
      [() => Timeout.new(-5), 'timeout must be a whole number from 0 to 2147483647, got -5'],
      [() => Timeout.new(1e300), 'timeout must be a whole number from 0 to 2147483647, got 1e300'],
    ]
    for (const [make, message] of cases) {
      expect(make).toThrow(expect.objectContaining({ code: 'ERR_ARMATURE_INVALID_OPTION', message: expect.stringContaining(message) }))
    }
  })
})

describe('ETag', () => {
  const lastModified = 'Wed, 21 Oct 2026 07:28:00 GMT'
  function app() {
    return App.new()
      .wrap(Compression.new({ minSize: 10 }))
      .wrap(ETag.default())
      .route('/doc', get(() => HttpResponse.json({ text: 'hello '.repeat(20) }).header('cache-control', 'max-age=60').header('vary', 'Accept-Language')))
      .route('/dated', get(() => HttpResponse.text('dated').header('last-modified', lastModified)))
      .route('/own', get(() => HttpResponse.text('own').header('etag', '"mine"')))
      .route('/weak', get(() => 'weak').wrap(ETag.new({ weak: true })))
      .route('/created', post(() => HttpResponse.json({ ok: true }, { status: 201 })))
  }

  it('tags answers and answers If-None-Match with 304, keeping the caching headers', async () => {
    const server = await start(app())
    const first = await fetch(`${server.url}/doc`, { headers: { 'accept-encoding': 'identity' } })
    const tag = first.headers.get('etag') ?? ''
    expect(tag).toMatch(/^"[0-9a-f]+-[0-9a-f]{16}"$/)
    expect((await fetch(`${server.url}/doc`, { headers: { 'accept-encoding': 'identity' } })).headers.get('etag')).toBe(tag)
    const head = await fetch(`${server.url}/doc`, { method: 'HEAD', headers: { 'accept-encoding': 'identity' } })
    expect(head.headers.get('etag')).toBe(tag)
    const cached = await fetch(`${server.url}/doc`, { headers: { 'if-none-match': `"other", ${tag}`, 'accept-encoding': 'identity' } })
    expect(cached.status).toBe(304)
    expect(await cached.text()).toBe('')
    expect(pick(cached.headers, ['etag', 'cache-control', 'vary', 'content-type'])).toEqual({
      etag: tag,
      'cache-control': 'max-age=60',
      vary: 'Accept-Language, Accept-Encoding',
      'content-type': null,
    })
    expect((await fetch(`${server.url}/doc`, { headers: { 'if-none-match': '"other"' } })).status).toBe(200)
    expect((await fetch(`${server.url}/doc`, { headers: { 'if-none-match': '*' } })).status).toBe(304)
  })

  it('weakens the tag of a compressed answer and still matches it', async () => {
    const server = await start(app())
    const compressed = await fetch(`${server.url}/doc`, { headers: { 'accept-encoding': 'gzip' } })
    const tag = compressed.headers.get('etag') ?? ''
    expect(tag).toMatch(/^W\/"/)
    const cached = await fetch(`${server.url}/doc`, { headers: { 'accept-encoding': 'gzip', 'if-none-match': tag } })
    expect(cached.status).toBe(304)
  })

  it('answers If-Match and If-Unmodified-Since that fail with 412, and dates with 304', async () => {
    const server = await start(app())
    const own = await fetch(`${server.url}/own`, { headers: { 'if-match': '"mine"' } })
    expect(own.status).toBe(200)
    expect(own.headers.get('etag')).toBe('"mine"')
    const mismatch = await fetch(`${server.url}/own`, { headers: { 'if-match': '"yours"' } })
    expect(mismatch.status).toBe(412)
    expect(await mismatch.json()).toMatchObject({ status: 412, title: 'Precondition Failed' })
    expect((await fetch(`${server.url}/own`, { headers: { 'if-match': '*' } })).status).toBe(200)
    expect((await fetch(`${server.url}/weak`, { headers: { 'if-match': 'W/"x"' } })).status).toBe(412)
    const later = 'Thu, 22 Oct 2026 07:28:00 GMT'
    const earlier = 'Tue, 20 Oct 2026 07:28:00 GMT'
    expect((await fetch(`${server.url}/dated`, { headers: { 'if-modified-since': later } })).status).toBe(304)
    expect((await fetch(`${server.url}/dated`, { headers: { 'if-modified-since': lastModified } })).status).toBe(304)
    expect((await fetch(`${server.url}/dated`, { headers: { 'if-modified-since': earlier } })).status).toBe(200)
    expect((await fetch(`${server.url}/dated`, { headers: { 'if-unmodified-since': earlier } })).status).toBe(412)
    expect((await fetch(`${server.url}/dated`, { headers: { 'if-modified-since': 'not a date' } })).status).toBe(200)
  })

  it('makes weak tags when asked, and leaves other methods alone', async () => {
    const server = await start(app())
    const weak = await fetch(`${server.url}/weak`)
    expect(weak.headers.get('etag')).toMatch(/^W\/"/)
    expect((await fetch(`${server.url}/weak`, { headers: { 'if-none-match': (weak.headers.get('etag') ?? '').slice(2) } })).status).toBe(304)
    const created = await fetch(`${server.url}/created`, { method: 'POST' })
    expect(created.headers.get('etag')).toBeNull()
    expect(() => ETag.new({ strong: true } as never)).toThrow(expect.objectContaining({ code: 'ERR_ARMATURE_INVALID_OPTION' }))
  })
})
