import { afterEach, describe, expect, it, vi } from 'vitest'
import { App, errorCodes, get, HttpError, HttpResponse, type Handler } from '@armature/core'
import { readFileSync } from 'node:fs'
import problems from './fixtures/problems.json' with { type: 'json' }
import { start } from './helpers.js'

afterEach(() => {
  vi.unstubAllEnvs()
  vi.restoreAllMocks()
})

async function problemOf(app: App<any>, path = '/x') {
  const server = await start(app)
  const res = await fetch(server.url + path)
  return { status: res.status, type: res.headers.get('content-type'), headers: res.headers, body: (await res.json()) as Record<string, unknown> }
}

describe('errors', () => {
  it.each<[string, Handler]>([
    ['a sync throw', () => { throw new Error('secret detail') }],
    ['an async rejection', async () => { throw new Error('secret detail') }],
    ['a thrown string', () => { throw 'secret detail' }],
  ])('%s becomes a 500 problem without details', async (_name, handler) => {
    const logged = vi.spyOn(console, 'error').mockImplementation(() => {})
    const res = await problemOf(App.new().route('/x', get(handler)))
    expect(res.status).toBe(500)
    expect(res.type).toBe('application/problem+json')
    expect(res.body).toEqual({ type: 'about:blank', title: 'Internal Server Error', status: 500, instance: '/x' })
    expect(logged).toHaveBeenCalled()
  })

  it('shows the error in development', async () => {
    vi.stubEnv('NODE_ENV', 'development')
    vi.spyOn(console, 'error').mockImplementation(() => {})
    const res = await problemOf(App.new().route('/x', get(() => { throw new TypeError('bad thing') })))
    expect(res.body.detail).toBe('TypeError: bad thing')
  })

  it('turns HttpError into its status with the message as detail', async () => {
    const res = await problemOf(
      App.new().route('/x', get(() => {
        throw new HttpError(401, 'Log in first', { headers: { 'www-authenticate': 'Bearer' }, type: 'https://example.com/auth', title: 'Unauthorised' })
      })),
    )
    expect(res.status).toBe(401)
    expect(res.headers.get('www-authenticate')).toBe('Bearer')
    expect(res.body).toEqual({ type: 'https://example.com/auth', title: 'Unauthorised', status: 401, detail: 'Log in first', instance: '/x' })
  })

  it('uses the reason phrase when HttpError has no message', async () => {
    const res = await problemOf(App.new().route('/x', get(async () => { throw new HttpError(404) })))
    expect(res.body).toEqual({ type: 'about:blank', title: 'Not Found', status: 404, detail: 'Not Found', instance: '/x' })
  })

  it('refuses an HttpError status outside 400–599', () => {
    expect(() => new HttpError(200)).toThrow(RangeError)
  })

  it('lets onError replace the error response', async () => {
    const seen: unknown[] = []
    const server = await start(
      App.new()
        .route('/x', get(() => { throw new Error('boom') }))
        .onError((error, req) => {
          seen.push(error)
          return HttpResponse.json({ oops: (error as Error).message, path: req.path }, { status: 418 })
        }),
    )
    const res = await fetch(`${server.url}/x`)
    expect(res.status).toBe(418)
    expect(await res.json()).toEqual({ oops: 'boom', path: '/x' })
    expect(seen).toHaveLength(1)
  })

  it('falls back to the default response when onError throws', async () => {
    vi.spyOn(console, 'error').mockImplementation(() => {})
    const server = await start(
      App.new()
        .route('/x', get(() => { throw new HttpError(409, 'taken') }))
        .onError(async () => { throw new Error('handler broke') }),
    )
    const res = await fetch(`${server.url}/x`)
    expect(res.status).toBe(500)
  })

  it('answers 500 when onError returns something that is not a response', async () => {
    vi.spyOn(console, 'error').mockImplementation(() => {})
    const server = await start(
      App.new()
        .route('/x', get(() => { throw new Error('boom') }))
        .onError(() => Symbol('not a response') as never),
    )
    const res = await fetch(`${server.url}/x`)
    expect(res.status).toBe(500)
    expect(await res.json()).toMatchObject({ status: 500, instance: '/x' })
  })

  it('writes the bytes of the problem table, as the engine does (crates/engine/tests/problem.rs)', async () => {
    type Input = { status: number; instance: string; detail?: string; type?: string; title?: string; extensions?: Record<string, unknown> }
    const cases = (problems as { input: Input; body: string }[]).filter(({ input }) => input.instance !== '')
    let app = App.new()
    for (const { input } of cases) {
      app = app.route(input.instance, get(() => {
        throw new HttpError(input.status, input.detail, { type: input.type, title: input.title, ...input.extensions })
      }))
    }
    const server = await start(app)
    for (const { input, body } of cases) {
      const res = await fetch(server.url + input.instance)
      expect(res.status).toBe(input.status)
      expect(res.headers.get('content-type')).toBe('application/problem+json')
      expect(await res.text(), input.instance).toBe(body)
    }
    // The engine's own 404 for the path of the first case.
    const engine = await start(App.new())
    const first = problems[0] as { input: Input; body: string }
    expect(await (await fetch(engine.url + first.input.instance)).text()).toBe(first.body)
  })

  it.each([
    ['a standard member', { status: 200 }],
    ['a short name', { id: 1 }],
    ['a name that is no identifier', { 'my-limit': 1 }],
    ['a value JSON cannot hold', { count: 1n }],
  ])('refuses %s as an extension member', (_name, members) => {
    expect(() => new HttpError(400, 'bad', members)).toThrow(expect.objectContaining({ code: 'ERR_ARMATURE_INVALID_OPTION' }))
  })

  it('documents every error code in the table of docs/errors.md, in the order of the list', () => {
    const page = readFileSync(new URL('../docs/errors.md', import.meta.url), 'utf8')
    const table = page
      .split('\n')
      .filter((line) => line.startsWith('| `ERR_ARMATURE_'))
      .flatMap((line) => (line.split('|')[1] as string).match(/ERR_ARMATURE_[A-Z_]+/g) ?? [])
    expect(table).toEqual(errorCodes())
    expect(new Set(page.match(/ERR_ARMATURE_[A-Z_]+/g))).toEqual(new Set(errorCodes()))
  })
})
