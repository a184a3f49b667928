// Multipart bodies parsed in Rust: parts in order with their heads, read,
// skipped or saved by the engine; limits as 413 problems naming the limit,
// malformed bodies as 400, one way of reading a body; over HTTP/1.1 and /2.
import { execFile } from 'node:child_process'
import fs from 'node:fs'
import http2 from 'node:http2'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'
import { afterAll, describe, expect, it } from 'vitest'
import { App, type MultipartOptions, post, type Request } from '@armature/core'
import { start } from './helpers.js'
import { tool } from './tools.js'

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'armature-multipart-'))
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }))

/** Every part as its head and text; files saved under `dir` when `save` is in the query. */
async function collect(req: Request, options?: MultipartOptions) {
  const out: unknown[] = []
  const save = req.query('save')
  for await (const part of req.multipart(options)) {
    const head = { name: part.name, filename: part.filename, type: part.type }
    if (part.filename !== undefined && save !== undefined) {
      const size = await part.saveTo(path.join(dir, String(save)))
      out.push({ ...head, saved: size })
    } else if (part.name === 'skip') {
      out.push({ ...head, skipped: true })
    } else {
      out.push({ ...head, text: await part.text() })
    }
  }
  return out
}

const app = (options?: MultipartOptions, bodySize: number | string = '1mb') =>
  App.new({ limits: { bodySize } })
    .onError((error) => {
      const coded = error as { code?: string; status?: number }
      if (coded.status !== undefined) throw error
      return { code: coded.code }
    })
    .route('/buffered', post((req) => collect(req, options)))
    .route('/streamed', post((req) => collect(req, options), { stream: true }))
    .route('/view-then', post(async (req) => {
      void req.text()
      return collect(req)
    }))
    .route('/then-view', post(async (req) => {
      req.multipart()
      return req.text()
    }))

function form(): FormData {
  const body = new FormData()
  body.append('title', 'Déjà vu')
  body.append('skip', 'not read')
  body.append('doc', new Blob(['x'.repeat(300_000)], { type: 'text/plain' }), 'doc.txt')
  body.append('__proto__', 'plain')
  return body
}

const expected = [
  { name: 'title', type: '', text: 'Déjà vu' },
  { name: 'skip', type: '', skipped: true },
  { name: 'doc', filename: 'doc.txt', type: 'text/plain', text: 'x'.repeat(300_000) },
  { name: '__proto__', type: '', text: 'plain' },
]

/** A hand-made multipart body with boundary `B`. */
function raw(parts: string[], end = '--B--\r\n'): { headers: Record<string, string>; body: string } {
  return { headers: { 'content-type': 'multipart/form-data; boundary=B' }, body: parts.map((part) => `--B\r\n${part}\r\n`).join('') + end }
}

describe('req.multipart()', () => {
  for (const route of ['/buffered', '/streamed']) {
    it(`yields parts in order, skipping those left unread (${route})`, async () => {
      const server = await start(app({ limits: { fileSize: '1mb' } }))
      const res = await fetch(server.url + route, { method: 'POST', body: form() })
      expect(res.status).toBe(200)
      expect(await res.json()).toEqual(expected)
    })
  }

  it('takes many files and fields in one body', async () => {
    const server = await start(app({ limits: { files: 10, fields: 100, fileSize: '1mb' } }, '8mb'))
    for (const route of ['/buffered', '/streamed']) {
      const body = new FormData()
      const sent: unknown[] = []
      for (let i = 0; i < 100; i++) {
        body.append(`field${i}`, `value ${i}`)
        sent.push({ name: `field${i}`, type: '', text: `value ${i}` })
        if (i % 10 === 0) {
          body.append(`file${i}`, new Blob([String(i).repeat(50_000)], { type: 'text/plain' }), `f${i}.txt`)
          sent.push({ name: `file${i}`, filename: `f${i}.txt`, type: 'text/plain', text: String(i).repeat(50_000) })
        }
      }
      const res = await fetch(server.url + route, { method: 'POST', body })
      expect(await res.json()).toEqual(sent)
    }
  })

  it('saves a file from the engine, never over an existing one', async () => {
    const server = await start(app())
    const send = () => {
      const body = new FormData()
      body.append('doc', new Blob([Buffer.alloc(2_000_000, 7)]), 'big.bin')
      return fetch(`${server.url}/streamed?save=saved.bin`, { method: 'POST', body })
    }
    const first = await send()
    expect(await first.json()).toEqual([{ name: 'doc', filename: 'big.bin', type: 'application/octet-stream', saved: 2_000_000 }])
    expect(fs.statSync(path.join(dir, 'saved.bin')).size).toBe(2_000_000)
    fs.writeFileSync(path.join(dir, 'saved.bin'), 'kept')
    const second = await send()
    expect(await second.json()).toEqual({ code: 'ERR_ARMATURE_SAVE_FAILED' })
    expect(fs.readFileSync(path.join(dir, 'saved.bin'), 'utf8')).toBe('kept')

    // A body the engine had read whole: the part is saved from it.
    const small = () => {
      const body = new FormData()
      body.append('doc', new Blob([Buffer.alloc(500_000, 8)]), 'small.bin')
      return fetch(`${server.url}/buffered?save=buffered.bin`, { method: 'POST', body })
    }
    expect(await (await small()).json()).toEqual([{ name: 'doc', filename: 'small.bin', type: 'application/octet-stream', saved: 500_000 }])
    expect(fs.readFileSync(path.join(dir, 'buffered.bin'))).toEqual(Buffer.alloc(500_000, 8))
    expect(await (await small()).json()).toEqual({ code: 'ERR_ARMATURE_SAVE_FAILED' })
  })

  const over: [string, MultipartOptions['limits'], () => FormData | ReturnType<typeof raw>, string][] = [
    ['fileSize', { fileSize: 1000 }, () => withFile(1001), "the file 'a.bin' is larger than 1000 bytes (fileSize)"],
    ['files', { files: 1 }, () => withFile(1, 1, 2), 'the body has more than 1 files (files)'],
    ['fields', { fields: 2 }, () => fields(3), 'the body has more than 2 fields (fields)'],
    ['fieldSize', { fieldSize: 4 }, () => fields(1, 'abcde'), "the field 'f0' is larger than 4 bytes (fieldSize)"],
    ['parts', { parts: 2 }, () => fields(3), 'the body has more than 2 parts (parts)'],
    ['headerPairs', { headerPairs: 2 }, () => raw(['Content-Disposition: form-data; name="a"\r\nX-One: 1\r\nX-Two: 2\r\n\r\nv']), 'a part has more than 2 header lines (headerPairs)'],
  ]
  for (const [limit, limits, body, detail] of over) {
    it(`answers a body over ${limit} with a 413 problem naming it`, async () => {
      const server = await start(app({ limits }))
      for (const route of ['/buffered', '/streamed']) {
        const sent = body()
        const init = sent instanceof FormData ? { body: sent } : sent
        const res = await fetch(server.url + route, { method: 'POST', ...init })
        expect(res.status).toBe(413)
        expect(await res.json()).toMatchObject({ status: 413, detail, limit })
      }
    })
  }

  it('refuses a part with more than 32 header lines whatever headerPairs says', async () => {
    const server = await start(app())
    const headers = Array.from({ length: 40 }, (_, i) => `X-H${i}: ${i}`).join('\r\n')
    const res = await fetch(`${server.url}/buffered`, { method: 'POST', ...raw([`Content-Disposition: form-data; name="a"\r\n${headers}\r\n\r\nv`]) })
    expect(res.status).toBe(413)
    expect(await res.json()).toMatchObject({ limit: 'headerPairs' })
  })

  it('answers a body over bodySize on a buffered route with a 413 naming bodySize', async () => {
    const server = await start(app(undefined, '64kb'))
    const res = await fetch(`${server.url}/buffered`, { method: 'POST', body: withFile(100_000) })
    expect(res.status).toBe(413)
    expect(await res.json()).toMatchObject({ status: 413, limit: 'bodySize' })
  })

  const malformed: [string, { headers: Record<string, string>; body: string }][] = [
    ['a Content-Type without a boundary', { headers: { 'content-type': 'multipart/form-data' }, body: 'x' }],
    ['a truncated body', raw(['Content-Disposition: form-data; name="a"\r\n\r\nvalue'], '--B\r\nContent-Disposition: form-data; name="b"\r\n\r\ncut')],
    ['a part without Content-Disposition', raw(['Content-Type: text/plain\r\n\r\nv'])],
    ['a wrong boundary', { headers: { 'content-type': 'multipart/form-data; boundary=Z' }, body: raw(['Content-Disposition: form-data; name="a"\r\n\r\nv']).body }],
  ]
  for (const [what, init] of malformed) {
    it(`answers ${what} with a 400 problem`, async () => {
      const server = await start(app())
      for (const route of ['/buffered', '/streamed']) {
        const res = await fetch(server.url + route, { method: 'POST', ...init })
        expect(res.status).toBe(400)
        expect(res.headers.get('content-type')).toBe('application/problem+json')
      }
    })
  }

  it('answers another media type with a 415 problem', async () => {
    const server = await start(app())
    const res = await fetch(`${server.url}/buffered`, { method: 'POST', body: 'a=1', headers: { 'content-type': 'application/x-www-form-urlencoded' } })
    expect(res.status).toBe(415)
    expect(await res.json()).toMatchObject({ detail: 'the request body must be multipart/form-data, not application/x-www-form-urlencoded' })
  })

  it('takes the body: a view before it, or after it, throws ERR_ARMATURE_BODY_USED', async () => {
    const server = await start(app())
    for (const route of ['/view-then', '/then-view']) {
      const res = await fetch(server.url + route, { method: 'POST', body: form() })
      expect(await res.json()).toEqual({ code: 'ERR_ARMATURE_BODY_USED' })
    }
  })

  it('refuses a bad limit with ERR_ARMATURE_INVALID_OPTION naming it', async () => {
    const server = await start(app({ limits: { headerPairs: 33 } }))
    const res = await fetch(`${server.url}/buffered`, { method: 'POST', body: form() })
    expect(await res.json()).toEqual({ code: 'ERR_ARMATURE_INVALID_OPTION' })
  })

  it('removes a file being saved when the client aborts the upload', async () => {
    let settled: (value: unknown) => void
    const outcome = new Promise((resolve) => (settled = resolve))
    const target = path.join(dir, 'aborted.bin')
    const server = await start(App.new().route('/save', post(async (req) => {
      try {
        for await (const part of req.multipart({ limits: { fileSize: '1gb' } })) await part.saveTo(target)
        settled('saved')
      } catch (error) {
        settled((error as { code?: string }).code)
      }
      return 'done'
    }, { stream: true })))
    const socket = net.connect(server.port, '127.0.0.1')
    await new Promise((resolve) => socket.on('connect', resolve))
    socket.write('POST /save HTTP/1.1\r\nhost: x\r\ncontent-type: multipart/form-data; boundary=B\r\ncontent-length: 100000000\r\n\r\n')
    socket.write('--B\r\nContent-Disposition: form-data; name="f"; filename="a"\r\n\r\n')
    socket.write(Buffer.alloc(1_000_000, 1))
    await until(() => fs.existsSync(target))
    socket.destroy()
    expect(await outcome).toBe('ERR_ARMATURE_BODY_CUT')
    expect(fs.existsSync(target)).toBe(false)
  })

  it('takes what curl -F sends, over HTTP/1.1 and HTTP/2', async () => {
    const server = await start(app())
    const file = path.join(dir, 'curl.txt')
    fs.writeFileSync(file, 'y'.repeat(500_000))
    const curl = tool('curl')
    for (const version of ['--http1.1', '--http2-prior-knowledge']) {
      for (const route of ['/buffered', '/streamed']) {
        const { stdout } = await promisify(execFile)(curl.command, ['-sS', version, '-F', 'title=from curl', '-F', `doc=@${file};type=text/plain`, server.url + route], { env: { ...process.env, ...curl.env } })
        expect(JSON.parse(stdout)).toEqual([
          { name: 'title', type: '', text: 'from curl' },
          { name: 'doc', filename: 'curl.txt', type: 'text/plain', text: 'y'.repeat(500_000) },
        ])
      }
    }
  })

  it('streams a 512 MiB file to disk with flat memory', async () => {
    const target = path.join(dir, 'large.bin')
    const server = await start(App.new().route('/save', post(async (req) => {
      let saved = 0
      for await (const part of req.multipart({ limits: { fileSize: '1gb' } })) saved += await part.saveTo(target)
      return { saved }
    }, { stream: true })))
    const size = 512 * 1024 * 1024
    const head = '--B\r\nContent-Disposition: form-data; name="f"; filename="large.bin"\r\n\r\n'
    const tail = '\r\n--B--\r\n'
    const before = process.memoryUsage().rss
    let peak = before
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20)
    const socket = net.connect(server.port, '127.0.0.1')
    const answer = new Promise<string>((resolve, reject) => {
      let text = ''
      socket.on('data', (chunk) => {
        text += chunk.toString()
        if (text.includes('}')) resolve(text)
      })
      socket.on('error', reject)
    })
    await new Promise((resolve) => socket.on('connect', resolve))
    socket.write(`POST /save HTTP/1.1\r\nhost: x\r\ncontent-type: multipart/form-data; boundary=B\r\ncontent-length: ${head.length + size + tail.length}\r\n\r\n${head}`)
    const chunk = Buffer.alloc(1024 * 1024, 0x61)
    for (let sent = 0; sent < size; sent += chunk.length) {
      if (!socket.write(chunk)) await new Promise((resolve) => socket.once('drain', resolve))
    }
    socket.write(tail)
    const text = await answer
    clearInterval(sampler)
    socket.destroy()
    expect(text).toContain(`{"saved":${size}}`)
    expect(fs.statSync(target).size).toBe(size)
    fs.rmSync(target)
    expect(peak - before).toBeLessThan(128 * 1024 * 1024)
  })

  it('works over HTTP/2', async () => {
    const server = await start(app())
    const client = http2.connect(server.url)
    try {
      const { headers, body } = raw(['Content-Disposition: form-data; name="title"\r\n\r\nh2', 'Content-Disposition: form-data; name="f"; filename="f.txt"\r\nContent-Type: text/plain\r\n\r\nfile'])
      for (const route of ['/buffered', '/streamed']) {
        const stream = client.request({ ':method': 'POST', ':path': route, ...headers })
        stream.end(body)
        const chunks: Buffer[] = []
        for await (const chunk of stream) chunks.push(chunk as Buffer)
        expect(JSON.parse(Buffer.concat(chunks).toString())).toEqual([
          { name: 'title', type: '', text: 'h2' },
          { name: 'f', filename: 'f.txt', type: 'text/plain', text: 'file' },
        ])
      }
    } finally {
      client.close()
    }
  })
})

function withFile(size: number, _fields = 0, files = 1): FormData {
  const body = new FormData()
  for (let i = 0; i < files; i++) body.append(`f${i}`, new Blob([Buffer.alloc(size, 1)]), 'a.bin')
  return body
}

function fields(count: number, value = 'v'): FormData {
  const body = new FormData()
  for (let i = 0; i < count; i++) body.append(`f${i}`, value)
  return body
}

async function until(check: () => boolean): Promise<void> {
  while (!check()) await new Promise((resolve) => setTimeout(resolve, 10))
}

describe('req.formData()', () => {
  const temps = () => fs.readdirSync(os.tmpdir()).filter((name) => name.startsWith('armature-upload-'))

  const formApp = () =>
    App.new({ limits: { bodySize: '8mb' } })
      .onError((error) => {
        if ((error as { status?: number }).status !== undefined) throw error
        return { code: (error as { code?: string }).code }
      })
      .route('/form', post(async (req) => {
        const form = await req.formData()
        const out: unknown[] = []
        for (const [name, value] of form) {
          if (typeof value === 'string') out.push({ name, value })
          else {
            const bytes = Buffer.from(await value.arrayBuffer())
            out.push({ name, file: value.name, type: value.type, size: value.size, first: bytes[0], temps: temps().length })
          }
        }
        return { out, prototype: Object.getPrototypeOf({}) === Object.prototype && ({} as Record<string, unknown>).polluted === undefined }
      }))
      .route('/streamed', post(async (req) => (await req.formData()).getAll('tag'), { stream: true }))

  it('gives fields as strings and files as Files, large ones backed by a temp file removed after the answer', async () => {
    const server = await start(formApp())
    const before = temps().length
    const body = new FormData()
    body.append('title', 'Déjà vu')
    body.append('small', new Blob([Buffer.alloc(1000, 3)], { type: 'image/png' }), 'small.png')
    body.append('large', new Blob([Buffer.alloc(3_000_000, 9)]), 'large.bin')
    body.append('__proto__', 'plain')
    const res = await fetch(`${server.url}/form`, { method: 'POST', body })
    expect(await res.json()).toEqual({
      out: [
        { name: 'title', value: 'Déjà vu' },
        { name: 'small', file: 'small.png', type: 'image/png', size: 1000, first: 3, temps: before + 1 },
        { name: 'large', file: 'large.bin', type: 'application/octet-stream', size: 3_000_000, first: 9, temps: before + 1 },
        { name: '__proto__', value: 'plain' },
      ],
      prototype: true,
    })
    await until(() => temps().length === before)
  })

  it('keeps repeated names in order on a streamed route', async () => {
    const server = await start(formApp())
    const body = new FormData()
    for (const tag of ['a', 'b', 'c']) body.append('tag', tag)
    const res = await fetch(`${server.url}/streamed`, { method: 'POST', body })
    expect(await res.json()).toEqual(['a', 'b', 'c'])
  })

  it('answers a file over fileSize with a 413 problem and leaves no temp file', async () => {
    const server = await start(formApp())
    const before = temps().length
    const body = new FormData()
    body.append('large', new Blob([Buffer.alloc(11 * 1024 * 1024)]), 'large.bin')
    const res = await fetch(`${server.url}/streamed`, { method: 'POST', body })
    expect(res.status).toBe(413)
    expect(await res.json()).toMatchObject({ limit: 'fileSize' })
    await until(() => temps().length === before)
  })

  it('leaves no temp file when the client aborts mid-upload', async () => {
    let settled: (value: unknown) => void
    const outcome = new Promise((resolve) => (settled = resolve))
    const server = await start(App.new().route('/form', post(async (req) => {
      try {
        await req.formData()
        settled('read')
      } catch (error) {
        settled((error as { code?: string }).code)
      }
      return 'done'
    }, { stream: true })))
    const before = temps().length
    const socket = net.connect(server.port, '127.0.0.1')
    await new Promise((resolve) => socket.on('connect', resolve))
    socket.write('POST /form HTTP/1.1\r\nhost: x\r\ncontent-type: multipart/form-data; boundary=B\r\ncontent-length: 100000000\r\n\r\n')
    socket.write('--B\r\nContent-Disposition: form-data; name="f"; filename="a"\r\n\r\n')
    socket.write(Buffer.alloc(3_000_000, 1))
    await until(() => temps().length > before)
    socket.destroy()
    expect(await outcome).toBe('ERR_ARMATURE_BODY_CUT')
    await until(() => temps().length === before)
  })
})
