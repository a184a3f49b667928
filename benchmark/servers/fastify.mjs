import Fastify from 'fastify'
import fastifyStatic from '@fastify/static'
import { download, DOWNLOAD_BYTES } from './download.mjs'

const app = Fastify({ logger: false })
app.get('/', async (_req, reply) => reply.type('text/plain; charset=utf-8').send('Hello, World!'))
app.get('/json', async () => ({ message: 'Hello, World!' }))
app.get('/users/:id', async (req) => ({ id: req.params.id, fields: String(req.query.fields).split(',') }))
app.get('/download', async (_req, reply) =>
  reply.type('application/octet-stream').header('content-length', DOWNLOAD_BYTES).send(download()),
)
// The body as the stream it arrives as, for /ingest.
app.addContentTypeParser('application/octet-stream', (_req, payload, done) => done(null, payload))
app.post('/ingest', async (req, reply) => {
  let bytes = 0
  for await (const chunk of req.body) bytes += chunk.length
  return reply.type('text/plain').send(String(bytes))
})
app.register(fastifyStatic, { root: process.env.STATIC_DIR, prefix: '/static/' })
app.post('/echo', async (req) => ({ count: Object.keys(req.body).length, name: req.body.name }))
await app.listen({ host: '127.0.0.1', port: Number(process.env.PORT) })
console.log('ready')
