import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { App, get, HttpError, HttpResponse, post, scope, type Server } from '@armature/core'
import { armatureMatchers, testClient, TestResponse, type TestRequest } from '@armature/core/testing'

expect.extend(armatureMatchers)

function makeApp() {
  return App.new({ limits: { bodySize: 64 } })
    .data({ greeting: 'hello' })
    .wrap(async (req, next) => (await next(req)).header('x-path', req.path))
    .route('/', get(() => 'Hello, World!'))
    .route('/users/:id', get((req) => ({ id: req.param('id'), fields: req.query('fields') ?? null, greeting: req.data.greeting })))
    .route('/echo', post((req) => ({ got: req.json(), type: req.header('content-type') ?? null })))
    .route('/raw', post((req) => HttpResponse.bytes(req.body)))
    .route('/cookies', get(() => HttpResponse.empty(204).appendHeader('set-cookie', 'a=1').appendHeader('set-cookie', 'b=2')))
    .route('/teapot', get(() => { throw new HttpError(418, 'no coffee here', { headers: { 'retry-after': '60' } }) }))
    .route('/boom', get(() => { throw new Error('secret') }))
    .route('/fixed', get(HttpResponse.json({ fixed: true }, { status: 201 })))
    .service(scope('/api').route('/items/:id', get((req) => `item ${req.param('id')}`).delete(() => undefined)))
}

/** Requests whose answers must be the same over HTTP and through the test client. */
const CASES: TestRequest[] = [
  { url: '/' },
  { url: '/users/42', query: { fields: 'name' } },
  { url: '/users/a%20b?fields=x&fields=y' },
  { method: 'POST', url: '/echo', json: { n: 1 } },
  { method: 'POST', url: '/echo', body: '{oops', headers: { 'content-type': 'application/json' } },
  { method: 'POST', url: '/echo', body: 'x'.repeat(100) },
  { method: 'POST', url: '/raw', body: new Uint8Array([0, 1, 255]) },
  { url: '/cookies' },
  { url: '/teapot' },
  { url: '/boom' },
  { url: '/fixed' },
  { url: '/missing' },
  { method: 'PUT', url: '/' },
  { method: 'HEAD', url: '/users/1' },
  { method: 'OPTIONS', url: '/api/items/1' },
  { method: 'DELETE', url: '/api/items/1' },
]

/** What a user compares: status, the headers that matter, the body. */
function summary(status: number, header: (name: string) => string | null | undefined, body: Buffer) {
  const headers: Record<string, string | null> = {}
  for (const name of ['content-type', 'content-length', 'allow', 'x-path', 'retry-after', 'server']) headers[name] = header(name) ?? null
  return { status, headers, body: body.toString('latin1') }
}

async function overHttp(server: Server, req: TestRequest) {
  const url = new URL(req.url, server.url)
  for (const [key, value] of Object.entries(req.query ?? {})) url.searchParams.append(key, String(value))
  const headers = new Headers(req.headers as Record<string, string> | undefined)
  let body: string | Uint8Array | undefined = req.body
  if (req.json !== undefined) {
    body = JSON.stringify(req.json)
    headers.set('content-type', 'application/json')
  }
  const res = await fetch(url, { method: req.method ?? 'GET', headers, body })
  const cookies = res.headers.getSetCookie()
  return {
    ...summary(res.status, (name) => res.headers.get(name), Buffer.from(await res.arrayBuffer())),
    cookies,
  }
}

describe('testClient', () => {
  let server: Server
  const client = testClient(makeApp())

  beforeAll(async () => {
    server = await makeApp().run({ host: '127.0.0.1', port: 0 })
  })
  afterAll(() => server.close())

  it('answers every case as the same app does over HTTP', async () => {
    for (const req of CASES) {
      const expected = await overHttp(server, req)
      const res = await client.request(req)
      const label = `${req.method ?? 'GET'} ${req.url}`
      expect(res).toBeInstanceOf(TestResponse)
      expect({ ...summary(res.status, (name) => res.header(name), res.body), cookies: res.header('set-cookie')?.split(', ') ?? [] }, label).toEqual(expected)
    }
  })

  it('has matchers for status, headers, problems and JSON bodies', async () => {
    const ok = await client.get('/users/7', { query: { fields: 'name' } })
    expect(ok).toHaveStatus(200)
    expect(ok).not.toHaveStatus(404)
    expect(ok).toHaveHeader('content-type', 'application/json')
    expect(ok).toHaveHeader('x-path', /^\/users/)
    expect(ok).not.toHaveHeader('x-missing')
    expect(ok).toHaveJsonBody({ id: '7', fields: 'name', greeting: 'hello' })
    const problem = await client.get('/teapot')
    expect(problem).toMatchProblem({ status: 418, title: "I'm a teapot", detail: 'no coffee here' })
    expect(problem).toMatchProblem({ status: 418, detail: /coffee/ })
    expect(problem).not.toMatchProblem({ status: 404 })
    expect(() => expect(ok).toHaveStatus(201)).toThrow('expected status 201, got 200')
    expect(() => expect(ok).toMatchProblem({ status: 200 })).toThrow(/expected problem/)
    expect(() => expect('not a response').toHaveStatus(200)).toThrow('expect a TestResponse')
  })

  it('rejects requests that are not valid HTTP with ERR_ARMATURE_INVALID_REQUEST', async () => {
    await expect(client.request({ method: 'BAD METHOD', url: '/' })).rejects.toMatchObject({
      code: 'ERR_ARMATURE_INVALID_REQUEST',
      message: "invalid method 'BAD METHOD'",
    })
    await expect(client.get('/', { headers: { 'bad name': 'x' } })).rejects.toMatchObject({ code: 'ERR_ARMATURE_INVALID_REQUEST' })
    await expect(client.get('no slash')).rejects.toMatchObject({ code: 'ERR_ARMATURE_INVALID_REQUEST' })
  })

  it('runs many requests at once', async () => {
    const responses = await Promise.all(Array.from({ length: 200 }, (_, i) => client.get(`/users/${i}`)))
    expect(responses.map((r) => r.json<{ id: string }>().id)).toEqual(Array.from({ length: 200 }, (_, i) => String(i)))
  })
})
