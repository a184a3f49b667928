// Type tests: run by vitest's typecheck mode (and tsc) in npm test. Each
// `@ts-expect-error` line proves that a mistake does not compile.
import { describe, expect, expectTypeOf, it } from 'vitest'
import { App, errorCodes, get, HttpResponse, post, scope, type AppFeature, type ErrorCode, type Middleware, type Request } from '@armature/core'
import { armatureMatchers, testClient, type TestResponse } from '@armature/core/testing'
import { ERROR_CODES } from '../src/generated/errors.js'

describe('typed routes', () => {
  it('types path parameters from the path string', () => {
    App.new().route(
      '/users/:id/posts/:postId',
      get((req) => {
        expectTypeOf(req.param('id')).toEqualTypeOf<string>()
        expectTypeOf(req.params.postId).toEqualTypeOf<string>()
        expectTypeOf(req.params).toEqualTypeOf<{ id: string; postId: string }>()
        // @ts-expect-error: 'nope' is not a parameter of this path
        req.param('nope')
        // @ts-expect-error: nor a key of params
        void req.params.nope
        return null
      }),
    )
  })

  it('types wildcards and scope routes', () => {
    App.new()
      .route('/files/*path', get((req) => req.param('path')))
      .route(
        '/items/:id',
        get((req) => {
          expectTypeOf(req.param('id')).toEqualTypeOf<string>()
          // @ts-expect-error: the wildcard name belongs to another route
          req.param('path')
          return undefined
        }),
      )
      .service(
        scope('/api').route(
          '/orders/:orderId',
          get((req) => {
            expectTypeOf(req.params).toEqualTypeOf<{ orderId: string }>()
            return null
          }),
        ),
      )
  })

  it('lets a standalone handler read any parameter', () => {
    const handler = (req: Request) => req.param('anything')
    expectTypeOf(handler).returns.toEqualTypeOf<string>()
    App.new().route('/users/:id', get(handler))
  })

  it('types the app state in every handler and middleware', () => {
    const app = App.new()
      .data({ db: { users: ['ada'] } })
      .data({ version: 1 })
    const audit: Middleware<{ version: number }> = async (req, next) => {
      expectTypeOf(req.data.version).toEqualTypeOf<number>()
      return next(req)
    }
    app.wrap(audit).route(
      '/',
      get((req) => {
        expectTypeOf(req.data.db.users).toEqualTypeOf<string[]>()
        expectTypeOf(req.data.version).toEqualTypeOf<number>()
        // @ts-expect-error: never given to data()
        void req.data.cache
        return null
      }),
    )
  })

  it('types JSON bodies with a generic', () => {
    interface CreateUser {
      name: string
      admin?: boolean
    }
    App.new().route(
      '/users',
      post((req) => {
        const body = req.json<CreateUser>()
        expectTypeOf(body).toEqualTypeOf<CreateUser>()
        return HttpResponse.json({ name: body.name }, { status: 201 })
      }),
    )
  })

  it('rejects handlers returning what cannot be a response', () => {
    // @ts-expect-error: a handler must be a function or an HttpResponse
    get('not a handler')
    // @ts-expect-error: statuses are numbers
    HttpResponse.text('x', { status: '200' })
  })

  it('types the test client and its matchers', async () => {
    expect.extend(armatureMatchers)
    const client = testClient(App.new())
    expectTypeOf(client.get).returns.resolves.toEqualTypeOf<TestResponse>()
    const res = await client.post('/users', { json: { name: 'ada' }, headers: { 'x-id': '1' }, query: { page: 2 } })
    expectTypeOf(res.json<{ id: string }>()).toEqualTypeOf<{ id: string }>()
    expectTypeOf(expect(res).toHaveStatus).parameter(0).toEqualTypeOf<number>()
    // @ts-expect-error: a problem needs its status
    expect(res).toMatchProblem({ title: 'Not Found' })
  })

  it('types error codes as the runtime list has them', () => {
    expectTypeOf<(typeof ERROR_CODES)[number]>().toEqualTypeOf<ErrorCode>()
    expectTypeOf(errorCodes()).toEqualTypeOf<ErrorCode[]>()
    const code: ErrorCode = 'ERR_ARMATURE_BODY_CUT'
    // @ts-expect-error: not a code of the list
    const wrong: ErrorCode = 'ERR_ARMATURE_NOPE'
    void [code, wrong]
  })

  it('takes app features on the app only', () => {
    const feature = {} as AppFeature
    App.new().wrap(feature)
    // @ts-expect-error: a scope refuses an app feature
    scope('/api').wrap(feature)
    // @ts-expect-error: a route refuses an app feature
    get(() => 'x').wrap(feature)
  })
})
