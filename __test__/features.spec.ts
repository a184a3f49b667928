// App features: what `App.wrap` runs app-wide wherever it is declared, and
// what a scope or a route refuses. Tested with the addon's test-only feature,
// which tags every response; its switch is read when the addon loads.
import { describe, expect, it, vi } from 'vitest'

vi.hoisted(() => {
  process.env.ARMATURE_TEST_FEATURE = '1'
})

const { App, AppFeature, get, HttpResponse, Logger, scope } = await import('@armature/core')
const { start } = await import('./helpers.js')

/** The addon's test-only feature: `x-feature-for-test: name` on every response. */
const tag = (name: string) => new (AppFeature as unknown as new (kind: string, options: unknown) => InstanceType<typeof AppFeature>)('featureForTest', { name })

describe('app features', () => {
  it('apply to every route and to the engine’s own answers, declared after a JS middleware', async () => {
    const seen: string[] = []
    const server = await start(
      App.new()
        .wrap(async (req, next) => {
          seen.push(req.path)
          return next(req)
        })
        .route('/js', get(() => 'js'))
        .wrap(tag('one'))
        .service(scope('/api').route('/fixed', get(HttpResponse.text('fixed'))))
        .wrap(Logger.custom(() => {}))
        .wrap(tag('two')),
    )
    // In their order, the first outermost: response hooks run innermost first.
    for (const path of ['/js', '/api/fixed', '/missing']) {
      const res = await fetch(server.url + path)
      expect(res.headers.get('x-feature-for-test'), path).toBe('two, one')
    }
    const notAllowed = await fetch(`${server.url}/js`, { method: 'DELETE' })
    expect(notAllowed.status).toBe(405)
    expect(notAllowed.headers.get('x-feature-for-test')).toBe('two, one')
    expect(seen).toEqual(['/js'])
  })

  it('are refused by a scope and by a route, naming the feature', () => {
    const refused = (where: string) =>
      expect.objectContaining({ code: 'ERR_ARMATURE_APP_ONLY', message: expect.stringContaining(`featureForTest is an app feature: declare it with App.wrap, not on ${where}`) as unknown })
    expect(() => scope('/api').wrap(tag('x') as never)).toThrow(refused("the scope '/api'"))
    expect(() => get(() => 'x').wrap(tag('x') as never)).toThrow(refused('a route'))
  })

  it('check their options where they are made', () => {
    const make = AppFeature as unknown as new (kind: string, options: unknown) => unknown
    expect(() => new make('featureForTest', {})).toThrow(expect.objectContaining({ code: 'ERR_ARMATURE_INVALID_OPTION', message: 'featureForTest needs a name' }))
    expect(() => new make('nope', {})).toThrow(expect.objectContaining({ code: 'ERR_ARMATURE_INVALID_OPTION', message: "unknown app feature 'nope'" }))
  })
})
