import Fastify from 'fastify'
import { download, DOWNLOAD_BYTES } from './download.mjs'

const app = Fastify({ logger: false })
app.get('/', async (_req, reply) => reply.type('text/plain; charset=utf-8').send('Hello, World!'))
app.get('/json', async () => ({ message: 'Hello, World!' }))
app.get('/users/:id', async (req) => ({ id: req.params.id, fields: String(req.query.fields).split(',') }))
app.get('/download', async (_req, reply) =>
  reply.type('application/octet-stream').header('content-length', DOWNLOAD_BYTES).send(download()),
)
app.post('/echo', async (req) => ({ count: Object.keys(req.body).length, name: req.body.name }))
await app.listen({ host: '127.0.0.1', port: Number(process.env.PORT) })
console.log('ready')
