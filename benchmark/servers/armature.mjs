import { randomUUID } from 'node:crypto'
import { unlink } from 'node:fs/promises'
import path from 'node:path'
import { download, DOWNLOAD_BYTES } from './download.mjs'
import { App, Compression, Cors, HttpResponse, Logger, RequestId, SecurityHeaders, Static, get, post, scope } from '@armature/core'

const pass = (name) => async (req, next) => (await next(req)).header(`x-${name}`, '1')

const app = App.new()
  .route('/', get(async () => HttpResponse.text('Hello, World!')))
  .route('/json', get(async () => ({ message: 'Hello, World!' })))
  .route('/users/:id', get(async (req) => ({ id: req.param('id'), fields: String(req.query('fields')).split(',') })))
  .route('/echo', post(async (req) => {
    const body = req.json()
    return { count: Object.keys(body).length, name: body.name }
  }))
  .route('/download', get(() => new HttpResponse(download(), { headers: { 'content-length': String(DOWNLOAD_BYTES) } })))
  .route('/ingest', post(async (req) => {
    let bytes = 0
    for await (const chunk of req.stream()) bytes += chunk.length
    return HttpResponse.text(String(bytes))
  }, { stream: true }))
  .route('/upload', post(async (req) => HttpResponse.text(String(req.body.length))))
  .route('/rust', get(HttpResponse.text('Hello, World!')))
  .route('/form-urlencoded', post(async (req) => {
    const form = req.form()
    return { count: Object.keys(form).length, f00: form.f00 }
  }))
  .route('/form-multipart', post(async (req) => {
    const fields = {}
    for await (const part of req.multipart()) fields[part.name] = await part.text()
    return { count: Object.keys(fields).length, f00: fields.f00 }
  }))
  .route('/multipart', post(async (req) => {
    let bytes = 0
    for await (const part of req.multipart({ limits: { fileSize: '20mb' } })) bytes += (await part.bytes()).length
    return HttpResponse.text(String(bytes))
  }, { stream: true }))
  .route('/multipart-save', post(async (req) => {
    let bytes = 0
    for await (const part of req.multipart({ limits: { fileSize: '20mb' } })) {
      const file = path.join(process.env.SAVE_DIR, randomUUID())
      bytes += await part.saveTo(file)
      await unlink(file)
    }
    return HttpResponse.text(String(bytes))
  }, { stream: true }))
  .wrap(Static.new(process.env.STATIC_DIR, { prefix: '/static' }))
  .service(scope('/mw').wrap(pass('a')).wrap(pass('b')).wrap(pass('c')).route('/', get(async () => HttpResponse.text('Hello, World!'))))
  // The day-one native stack; the request log goes to stderr, which the harness keeps in a file.
  .service(
    scope('/native')
      .wrap(Logger.json({ destination: 'stderr' }))
      .wrap(Cors.permissive())
      .wrap(Compression.default())
      .wrap(SecurityHeaders.default())
      .wrap(RequestId.default())
      .route('/', get(async () => HttpResponse.text('Hello, World!'))),
  )

// handleSignals lets `node --cpu-prof` write its profile on SIGTERM.
await app.run({ host: '127.0.0.1', port: Number(process.env.PORT), handleSignals: true })
console.log('ready')
