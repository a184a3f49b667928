import { afterEach, describe, expect, it, vi } from 'vitest'
import { App, errorCodes, get, HttpError, HttpResponse, type Handler } from '@armature/core'
import { readFileSync } from 'node:fs'
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

  it('documents every error code in the README table, in the order of the list', () => {
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8')
    const table = readme
      .split('\n')
      .filter((line) => line.startsWith('| `ERR_ARMATURE_'))
      .flatMap((line) => (line.split('|')[1] as string).match(/ERR_ARMATURE_[A-Z_]+/g) ?? [])
    expect(table).toEqual(errorCodes())
    expect(new Set(readme.match(/ERR_ARMATURE_[A-Z_]+/g))).toEqual(new Set(errorCodes()))
  })
})
