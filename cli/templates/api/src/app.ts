import { App, get, HttpError, HttpResponse, scope, type Middleware } from '@armature/core'

export interface User {
  id: string
  name: string
  email: string
}

/** Checks a body that should be a new user; throws a 422 problem naming the first bad field. */
function parseUser(body: unknown): Omit<User, 'id'> {
  if (typeof body !== 'object' || body === null) throw new HttpError(422, 'the body must be a JSON object')
  const { name, email } = body as Record<string, unknown>
  if (typeof name !== 'string' || name.trim() === '') throw new HttpError(422, "'name' must be a non-empty string")
  if (typeof email !== 'string' || !email.includes('@')) throw new HttpError(422, "'email' must be an email address")
  return { name, email }
}

/** Adds how long the request took, as a Server-Timing header. */
const timing: Middleware = async (req, next) => {
  const started = performance.now()
  const res = await next(req)
  return res.header('server-timing', `app;dur=${(performance.now() - started).toFixed(1)}`)
}

const users = new Map<string, User>()
let nextId = 1

/** The app, exported so tests and `armature routes` can load it without a server. */
export const app = App.new({ limits: { bodySize: 64 * 1024 } })
  .data({ users })
  .route('/health', get(HttpResponse.json({ status: 'ok' })))
  .service(
    scope('/api/v1')
      .wrap(timing)
      .route(
        '/users',
        get((req) => [...req.data.users.values()]).post((req) => {
          const user = { id: String(nextId++), ...parseUser(req.json()) }
          req.data.users.set(user.id, user)
          return HttpResponse.json(user, { status: 201 }).header('location', `/api/v1/users/${user.id}`)
        }),
      )
      .route(
        '/users/:id',
        get((req) => {
          const user = req.data.users.get(req.param('id'))
          if (!user) throw new HttpError(404, `no user ${req.param('id')}`)
          return user
        }).delete((req) => {
          if (!req.data.users.delete(req.param('id'))) throw new HttpError(404, `no user ${req.param('id')}`)
          return undefined
        }),
      ),
  )
