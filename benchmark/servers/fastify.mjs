import Fastify from 'fastify'
import fastifyStatic from '@fastify/static'
import formbody from '@fastify/formbody'
import multipart from '@fastify/multipart'
import { randomUUID } from 'node:crypto'
import { createWriteStream } from 'node:fs'
import { unlink } from 'node:fs/promises'
import path from 'node:path'
import { pipeline } from 'node:stream/promises'
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
app.register(formbody)
app.register(multipart, { limits: { fileSize: 20 * 1024 * 1024 } })
app.post('/form-urlencoded', async (req) => ({ count: Object.keys(req.body).length, f00: req.body.f00 }))
app.post('/form-multipart', async (req) => {
  const fields = {}
  for await (const part of req.parts()) fields[part.fieldname] = part.value
  return { count: Object.keys(fields).length, f00: fields.f00 }
})
app.post('/multipart', async (req, reply) => {
  let bytes = 0
  for await (const part of req.parts()) if (part.type === 'file') bytes += (await part.toBuffer()).length
  return reply.type('text/plain').send(String(bytes))
})
app.post('/multipart-save', async (req, reply) => {
  let bytes = 0
  for await (const part of req.parts()) {
    if (part.type !== 'file') continue
    const file = path.join(process.env.SAVE_DIR, randomUUID())
    await pipeline(part.file, createWriteStream(file))
    bytes += part.file.bytesRead
    await unlink(file)
  }
  return reply.type('text/plain').send(String(bytes))
})
app.post('/echo', async (req) => ({ count: Object.keys(req.body).length, name: req.body.name }))
await app.listen({ host: '127.0.0.1', port: Number(process.env.PORT) })
console.log('ready')
