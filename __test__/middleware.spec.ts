import { describe, expect, it } from 'vitest'
import { App, get, HttpError, HttpResponse, scope, type Middleware } from '@armature/core'
import { start } from './helpers.js'

function tracer(name: string, log: string[]): Middleware {
  return async (req, next) => {
    log.push(`${name} in`)
    const res = await next(req)
    log.push(`${name} out`)
    return res.appendHeader('x-trace', name)
  }
}

describe('middleware', () => {
  it('runs app, scope and route middleware outermost first, in declaration order', async () => {
    const log: string[] = []
    const app = App.new()
      .wrap(tracer('app1', log))
      .service(
        scope('/api')
          .wrap(tracer('scope', log))
          .route('/x', get(() => { log.push('handler'); return 'ok' }).wrap(tracer('route', log))),
      )
      .wrap(tracer('app2', log))
    const server = await start(app)
    const res = await fetch(`${server.url}/api/x`)
    expect(await res.text()).toBe('ok')
    expect(log).toEqual(['app1 in', 'app2 in', 'scope in', 'route in', 'handler', 'route out', 'scope out', 'app2 out', 'app1 out'])
    expect(res.headers.get('x-trace')).toBe('route, scope, app2, app1')
  })

  it('gives middleware the handler result as an HttpResponse', async () => {
    const seen: unknown[] = []
    const server = await start(
      App.new()
        .wrap(async (req, next) => {
          const res = await next(req)
          seen.push([res.status, res.headers['content-type'], res.body])
          return res.header('x-served-by', 'armature')
        })
        .route('/obj', get(() => ({ a: 1 })))
        .route('/none', get(() => undefined)),
    )
    const obj = await fetch(`${server.url}/obj`)
    expect(obj.headers.get('x-served-by')).toBe('armature')
    expect(await obj.json()).toEqual({ a: 1 })
    const none = await fetch(`${server.url}/none`)
    expect(none.status).toBe(204)
    expect(seen).toEqual([[200, 'application/json', '{"a":1}'], [204, undefined, undefined]])
  })

  it('can answer without calling next', async () => {
    let reached = false
    const auth: Middleware = (req, next) => (req.header('authorization') === 'Bearer ok' ? next(req) : new HttpResponse(undefined, { status: 401 }))
    const server = await start(App.new().wrap(auth).route('/', get(() => { reached = true; return 'secret' })))
    expect((await fetch(`${server.url}/`)).status).toBe(401)
    expect(reached).toBe(false)
    const ok = await fetch(`${server.url}/`, { headers: { authorization: 'Bearer ok' } })
    expect(await ok.text()).toBe('secret')
  })

  it('sees handler errors as rejections of next and can recover', async () => {
    const server = await start(
      App.new()
        .wrap(async (req, next) => {
          try {
            return await next(req)
          } catch (error) {
            return HttpResponse.json({ caught: (error as Error).message }, { status: 503 })
          }
        })
        .route('/sync', get(() => { throw new Error('sync') }))
        .route('/async', get(async () => { throw new HttpError(400, 'async') })),
    )
    for (const [path, message] of [['/sync', 'sync'], ['/async', 'async']]) {
      const res = await fetch(server.url + path)
      expect(res.status).toBe(503)
      expect(await res.json()).toEqual({ caught: message })
    }
  })

  it('lets a middleware throw HttpError', async () => {
    const server = await start(
      App.new()
        .wrap(() => { throw new HttpError(403, 'nope') })
        .route('/', get(() => 'x')),
    )
    const res = await fetch(`${server.url}/`)
    expect(res.status).toBe(403)
    expect(await res.json()).toMatchObject({ detail: 'nope' })
  })

  it('shares app state with handlers and middleware', async () => {
    const app = App.new()
      .data({ greeting: 'hello' })
      .data({ count: 0 })
      .wrap(async (req, next) => {
        req.data.count++
        return next(req)
      })
      .route('/', get((req) => `${req.data.greeting} ${req.data.count}`))
    const server = await start(app)
    expect(await (await fetch(`${server.url}/`)).text()).toBe('hello 1')
    expect(await (await fetch(`${server.url}/`)).text()).toBe('hello 2')
  })
})
