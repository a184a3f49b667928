// The soak's server: one handler of each behaviour a real app has, short
// limits so that timeouts happen often. Prints its port. Uploads are saved
// under SOAK_SAVE_DIR and removed; formData's temp files go to TMPDIR.
import { randomUUID } from 'node:crypto'
import { rm } from 'node:fs/promises'
import path from 'node:path'
import { App, get, HttpError, post } from '@armature/core'

const LIMITS = { bodySize: 64 * 1024, requestTimeout: 1000, bodyTimeout: 1500, headersTimeout: 2000, keepAliveTimeout: 5000 }

const server = await App.new({ limits: LIMITS })
  .route('/ok', get(() => 'ok'))
  .route('/json', get((req) => ({ n: Number(req.query('n') ?? 0) })))
  .route('/echo', post((req) => req.text()))
  .route('/throw', get(() => {
    throw new Error('thrown on purpose')
  }))
  .route('/reject', get(async () => {
    throw new HttpError(409, 'rejected on purpose')
  }))
  .route('/slow', get(() => new Promise((resolve) => setTimeout(() => resolve('slow'), 20))))
  .route('/never', get(() => new Promise(() => {})))
  .route('/upload', post(async (req) => {
    let saved = 0
    for await (const part of req.multipart({ limits: { fileSize: '4mb' } })) {
      if (part.filename === undefined) {
        await part.text()
        continue
      }
      const file = path.join(process.env.SOAK_SAVE_DIR, randomUUID())
      try {
        saved += await part.saveTo(file)
      } finally {
        await rm(file, { force: true })
      }
    }
    return String(saved)
  }, { stream: true }))
  .route('/form-data', post(async (req) => String((await req.formData()).get('file')?.size), { stream: true }))
  .onError((error, req) => {
    // An HttpError is answered without a log line: the soak's output stays readable.
    if (error instanceof HttpError) throw error
    throw new HttpError(500, `${req.path} failed`)
  })
  .run({ host: '127.0.0.1', port: 0 })
console.log(server.port)
