import http from 'node:http'
import zlib from 'node:zlib'
import { describe, expect, it } from 'vitest'
import { App, Compression, get, HttpResponse, post, type Server } from '@armature/core'
import { start } from './helpers.js'

const TEXT = 'Armature compresses this sentence. '.repeat(100)

/** A GET with the given headers; the body as received, without decoding it. */
function raw(server: Server, path: string, headers: Record<string, string> = {}, method = 'GET') {
  return new Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }>((resolve, reject) => {
    const req = http.request(`${server.url}${path}`, { method, headers, agent: false }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (chunk: Buffer) => chunks.push(chunk))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }))
    })
    req.on('error', reject)
    req.end()
  })
}

function app() {
  return App.new()
    .wrap(Compression.default())
    .route('/text', get(() => TEXT))
    .route('/json', get(() => ({ items: Array.from({ length: 200 }, (_, i) => ({ id: i, name: `item ${i}` })) })))
    .route('/small', get(() => 'tiny'))
    .route('/png', get(() => HttpResponse.bytes(Buffer.alloc(4096, 1)).header('content-type', 'image/png')))
    .route('/encoded', get(() => HttpResponse.text(TEXT).header('content-encoding', 'identity')))
    .route('/no-transform', get(() => HttpResponse.text(TEXT).header('cache-control', 'no-transform')))
    .route('/etag', get(() => HttpResponse.text(TEXT).header('etag', '"v1"')))
    .route('/empty', post(() => undefined))
    .route('/fixed', get(HttpResponse.text(TEXT)))
}

describe('Compression', () => {
  it('picks the coding from Accept-Encoding and the server order, and the body decodes back', async () => {
    const server = await start(app())
    const decoders: Record<string, (body: Buffer) => Buffer> = {
      br: zlib.brotliDecompressSync,
      gzip: zlib.gunzipSync,
      deflate: zlib.inflateSync,
    }
    const cases: [string, string][] = [
      ['gzip, deflate, br', 'br'],
      ['gzip', 'gzip'],
      ['deflate', 'deflate'],
      ['br;q=0.5, gzip;q=0.9', 'gzip'],
      ['br;q=0, *', 'zstd'],
      ['GZIP;Q=1', 'gzip'],
      ['*;q=0.1, deflate;q=0.5', 'deflate'],
    ]
    for (const [accept, coding] of cases) {
      const res = await raw(server, '/text', { 'accept-encoding': accept })
      expect(res.headers['content-encoding'], accept).toBe(coding)
      expect(res.headers.vary, accept).toBe('Accept-Encoding')
      expect(Number(res.headers['content-length']), accept).toBe(res.body.length)
      expect(res.body.length, accept).toBeLessThan(Buffer.byteLength(TEXT) / 5)
      const decode = decoders[coding] ?? (zlib as unknown as Record<string, (b: Buffer) => Buffer>).zstdDecompressSync
      if (decode) expect(decode(res.body).toString(), accept).toBe(TEXT)
    }
    const json = await raw(server, '/json', { 'accept-encoding': 'gzip' })
    expect(JSON.parse(zlib.gunzipSync(json.body).toString()).items).toHaveLength(200)
    const fixed = await raw(server, '/fixed', { 'accept-encoding': 'gzip' })
    expect(zlib.gunzipSync(fixed.body).toString()).toBe(TEXT)
  })

  it('sends the body as it is when it should not or cannot compress', async () => {
    const server = await start(app())
    const plain = (res: { headers: http.IncomingHttpHeaders }) => res.headers['content-encoding'] ?? 'none'
    const cases: [string, Record<string, string>, string | undefined][] = [
      ['/text', {}, 'Accept-Encoding'],
      ['/text', { 'accept-encoding': 'identity' }, 'Accept-Encoding'],
      ['/text', { 'accept-encoding': 'gzip;q=0, br;q=0, zstd;q=0, deflate;q=0' }, 'Accept-Encoding'],
      ['/small', { 'accept-encoding': 'gzip' }, 'Accept-Encoding'],
      ['/png', { 'accept-encoding': 'gzip' }, undefined],
      ['/no-transform', { 'accept-encoding': 'gzip' }, 'Accept-Encoding'],
      // A 404 problem is compressible, just short.
      ['/missing', { 'accept-encoding': 'gzip' }, 'Accept-Encoding'],
    ]
    for (const [path, headers, vary] of cases) {
      const res = await raw(server, path, headers)
      expect(plain(res), `${path} ${JSON.stringify(headers)}`).toBe('none')
      expect(res.headers.vary, path).toBe(vary)
    }
    const encoded = await raw(server, '/encoded', { 'accept-encoding': 'gzip' })
    expect(encoded.headers['content-encoding']).toBe('identity')
    expect(encoded.body.toString()).toBe(TEXT)
    const empty = await raw(server, '/empty', { 'accept-encoding': 'gzip' }, 'POST')
    expect(empty.status).toBe(204)
    expect(plain(empty)).toBe('none')
  })

  it('gives HEAD the headers of GET and weakens a strong ETag', async () => {
    const server = await start(app())
    const get = await raw(server, '/text', { 'accept-encoding': 'gzip' })
    const head = await raw(server, '/text', { 'accept-encoding': 'gzip' }, 'HEAD')
    expect(head.body.length).toBe(0)
    for (const name of ['content-encoding', 'content-length', 'vary', 'content-type']) {
      expect(head.headers[name], name).toBe(get.headers[name])
    }
    const etag = await raw(server, '/etag', { 'accept-encoding': 'br' })
    expect(etag.headers.etag).toBe('W/"v1"')
    expect((await raw(server, '/etag')).headers.etag).toBe('"v1"')
  })

  it('takes options, and throws ERR_ARMATURE_INVALID_OPTION for unusable ones', async () => {
    const server = await start(
      App.new()
        .wrap(Compression.new({ algorithms: ['gzip'], minSize: 10, contentTypes: ['text/plain'], level: 'best' }))
        .route('/small', get(() => 'small '.repeat(10)))
        .route('/html', get(() => HttpResponse.html(`<p>${TEXT}</p>`))),
    )
    const small = await raw(server, '/small', { 'accept-encoding': 'br, gzip' })
    expect(small.headers['content-encoding']).toBe('gzip')
    expect(zlib.gunzipSync(small.body).toString()).toBe('small '.repeat(10))
    expect((await raw(server, '/html', { 'accept-encoding': 'gzip' })).headers['content-encoding']).toBeUndefined()
    const bad: [() => unknown, string][] = [
      [() => Compression.new({ algorithms: ['lzma' as 'br'] }), 'unknown variant `lzma`'],
      [() => Compression.new({ algorithms: [] }), 'algorithms is empty'],
      [() => Compression.new({ level: 'max' as 'best' }), "unknown variant `max`, expected one of `fastest`, `default`, `best`"],
      [() => Compression.new({ contentTypes: ['json'] }), "'json' is not a media type"],
      [() => Compression.new({ minSize: -1 }), 'invalid value'],
    ]
    for (const [make, message] of bad) {
      expect(make).toThrow(expect.objectContaining({ code: 'ERR_ARMATURE_INVALID_OPTION', message: expect.stringContaining(message) }))
    }
  })
})
