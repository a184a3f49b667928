// A small Armature app: `npm start`, then try
//   curl localhost:3000/            curl localhost:3000/users/7?fields=name,email
//   curl -X POST localhost:3000/api/v1/echo -d '{"name":"Ada"}'
import { App, HttpError, HttpResponse, get, post, scope } from '@armature/core'

const users = new Map([['7', { id: '7', name: 'Ada', email: 'ada@example.com' }]])

const app = App.new()
  .data({ started: new Date().toISOString() })
  .wrap(async (req, next) => {
    const started = performance.now()
    const res = await next(req)
    return res.header('server-timing', `app;dur=${(performance.now() - started).toFixed(2)}`)
  })
  .route('/', get(() => HttpResponse.text('Hello, World!')))
  .route('/health', get(HttpResponse.json({ status: 'ok' })))
  .route('/users/:id', get((req) => {
    const user = users.get(req.param('id'))
    if (!user) throw new HttpError(404, `no user with id ${req.param('id')}`)
    const fields = req.query('fields')
    if (typeof fields !== 'string') return user
    return Object.fromEntries(fields.split(',').filter((f) => f in user).map((f) => [f, user[f]]))
  }))
  .service(
    scope('/api/v1')
      .route('/echo', post((req) => ({ received: req.json(), at: req.data.started })))
      .route('/files/*path', get((req) => ({ path: req.param('path') }))),
  )

const port = Number(process.env.PORT ?? 3000)
const server = await app.run({ host: process.env.HOST ?? '127.0.0.1', port, handleSignals: true })
console.log(`Armature example listening on ${server.url}`)
