// Static files served by the engine, over real sockets: validators and
// conditional requests, ranges, HEAD, directories, fallbacks, prefixes,
// dotfiles, precompressed siblings, and paths that try to leave the root.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs'
import http2 from 'node:http2'
import os from 'node:os'
import path from 'node:path'
import { brotliCompressSync, gzipSync } from 'node:zlib'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { App, get, HttpResponse, scope, Static, type Server } from '@armature/core'
import { raw, start } from './helpers.js'

let dir: string
let site: string
const big = Buffer.alloc(200 * 1024, 7)
const SECRET = 'the secret outside the root'

beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'armature-static-'))
  site = path.join(dir, 'public')
  const files: Record<string, string | Buffer> = {
    'index.html': '<h1>home</h1>',
    'app.0123abcd.js': 'console.log(1)',
    'style.css': 'body{}',
    'big.bin': big,
    'docs/index.html': '<h1>docs</h1>',
    'about.html': '<h1>about</h1>',
    '.env': 'TOKEN=1',
    'data.json': '{"plain":true}',
    'data.json.br': brotliCompressSync('{"from":"br"}'),
    'data.json.gz': gzipSync('{"from":"gz"}'),
    'shell.html': '<div id="app"></div>',
  }
  for (const [name, content] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(site, name)), { recursive: true })
    writeFileSync(path.join(site, name), content)
  }
  mkdirSync(path.join(dir, 'outside'))
  writeFileSync(path.join(dir, 'outside', 'secret.txt'), SECRET)
  symlinkSync(path.join(dir, 'outside', 'secret.txt'), path.join(site, 'link.txt'))
  mkdirSync(path.join(dir, 'assets'))
  writeFileSync(path.join(dir, 'assets', 'logo.svg'), '<svg/>')
})

afterAll(() => rmSync(dir, { recursive: true, force: true }))

function siteApp() {
  return App.new()
    .route('/data.json', get(() => ({ from: 'route' })))
    .route('/api/items', get(() => []))
    .wrap(Static.new(site, { maxAge: '1h', immutable: /\.[0-9a-f]{8}\./, precompressed: ['br', 'gzip'], extensions: ['html'], fallback: 'shell.html' }))
    .wrap(Static.new(path.join(dir, 'assets'), { prefix: '/assets' }))
}

describe('Static', () => {
  let server: Server
  beforeAll(async () => {
    server = await siteApp().run({ host: '127.0.0.1', port: 0 })
  })
  afterAll(() => server.close())
  const url = (p: string) => server.url + p

  it('serves a file with its type, validators, length and caching headers', async () => {
    const res = await fetch(url('/index.html'))
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8')
    expect(res.headers.get('etag')).toMatch(/^W\/"[0-9a-f]+-[0-9a-f]+"$/)
    expect(new Date(res.headers.get('last-modified') as string).getTime()).toBeGreaterThan(0)
    expect(res.headers.get('accept-ranges')).toBe('bytes')
    expect(res.headers.get('cache-control')).toBe('public, max-age=3600')
    expect(res.headers.get('vary')).toBe('accept-encoding')
    expect(res.headers.get('content-length')).toBe('13')
    expect(res.headers.get('date')).not.toBeNull()
    expect(await res.text()).toBe('<h1>home</h1>')
    expect((await fetch(url('/app.0123abcd.js'))).headers.get('cache-control')).toBe('public, max-age=3600, immutable')
    expect((await fetch(url('/style.css'))).headers.get('content-type')).toBe('text/css; charset=utf-8')
  })

  it('answers conditional requests in RFC 9110 order, 304 keeping the validators', async () => {
    const first = await fetch(url('/style.css'))
    const etag = first.headers.get('etag') as string
    const modified = first.headers.get('last-modified') as string
    const conditions: Record<string, string>[] = [{ 'if-none-match': etag }, { 'if-none-match': `"other", ${etag.slice(2)}` }, { 'if-modified-since': modified }]
    for (const headers of conditions) {
      const res = await fetch(url('/style.css'), { headers })
      expect(res.status, JSON.stringify(headers)).toBe(304)
      expect(res.headers.get('etag')).toBe(etag)
      expect(res.headers.get('last-modified')).toBe(modified)
      expect(res.headers.get('cache-control')).toBe('public, max-age=3600')
      expect(res.headers.get('vary')).toBe('accept-encoding')
      expect(await res.text()).toBe('')
    }
    expect((await fetch(url('/style.css'), { headers: { 'if-match': '"nope"' } })).status).toBe(412)
    // A weak tag never matches If-Match strongly; `*` does.
    expect((await fetch(url('/style.css'), { headers: { 'if-match': etag } })).status).toBe(412)
    expect((await fetch(url('/style.css'), { headers: { 'if-match': '*' } })).status).toBe(200)
    expect((await fetch(url('/style.css'), { headers: { 'if-unmodified-since': 'Mon, 01 Jan 2001 00:00:00 GMT' } })).status).toBe(412)
    // If-None-Match wins over If-Modified-Since.
    expect((await fetch(url('/style.css'), { headers: { 'if-none-match': '"other"', 'if-modified-since': modified } })).status).toBe(200)
  })

  it('serves single ranges, refuses unsatisfiable ones, and honours If-Range', async () => {
    const size = big.length
    const part = await fetch(url('/big.bin'), { headers: { range: 'bytes=10-19' } })
    expect(part.status).toBe(206)
    expect(part.headers.get('content-range')).toBe(`bytes 10-19/${size}`)
    expect(part.headers.get('content-length')).toBe('10')
    expect(Buffer.from(await part.arrayBuffer())).toEqual(big.subarray(10, 20))
    const tail = await fetch(url('/big.bin'), { headers: { range: 'bytes=-5' } })
    expect(tail.headers.get('content-range')).toBe(`bytes ${size - 5}-${size - 1}/${size}`)
    const past = await fetch(url('/big.bin'), { headers: { range: `bytes=${size}-` } })
    expect(past.status).toBe(416)
    expect(past.headers.get('content-range')).toBe(`bytes */${size}`)
    const several = await fetch(url('/big.bin'), { headers: { range: 'bytes=0-1,5-6' } })
    expect(several.status).toBe(200)
    expect((await several.arrayBuffer()).byteLength).toBe(size)
    const modified = part.headers.get('last-modified') as string
    expect((await fetch(url('/big.bin'), { headers: { range: 'bytes=0-0', 'if-range': modified } })).status).toBe(206)
    expect((await fetch(url('/big.bin'), { headers: { range: 'bytes=0-0', 'if-range': 'Mon, 01 Jan 2001 00:00:00 GMT' } })).status).toBe(200)
    expect((await fetch(url('/big.bin'), { headers: { range: 'bytes=0-0', 'if-range': part.headers.get('etag') as string } })).status).toBe(200)
    expect((await fetch(url('/big.bin'), { headers: { range: 'lines=1-2' } })).status).toBe(200)
  })

  it('answers HEAD from the metadata, with the length GET would send', async () => {
    const res = await fetch(url('/big.bin'), { method: 'HEAD' })
    expect(res.status).toBe(200)
    expect(res.headers.get('content-length')).toBe(String(big.length))
    expect(await res.text()).toBe('')
    const text = await raw(server.port, 'HEAD /index.html HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')
    expect(text).toMatch(/^HTTP\/1\.1 200/)
    expect(text).toMatch(/content-length: 13\r\n/i)
    expect(text.endsWith('\r\n\r\n')).toBe(true)
  })

  it('redirects a directory to its slash, keeping the query, and serves its index', async () => {
    const res = await fetch(url('/docs?x=1'), { redirect: 'manual' })
    expect(res.status).toBe(301)
    expect(res.headers.get('location')).toBe('/docs/?x=1')
    expect(await (await fetch(url('/docs/'))).text()).toBe('<h1>docs</h1>')
    expect(await (await fetch(url('/'))).text()).toBe('<h1>home</h1>')
    expect(await (await fetch(url('/about'))).text()).toBe('<h1>about</h1>')
  })

  it('lets routes win, falls back to the shell for pages only, and 404s the rest', async () => {
    expect(await (await fetch(url('/data.json'))).json()).toEqual({ from: 'route' })
    const page = await fetch(url('/some/client/route'), { headers: { accept: 'text/html,application/xhtml+xml' } })
    expect(page.status).toBe(200)
    expect(await page.text()).toBe('<div id="app"></div>')
    expect(page.headers.get('vary')).toBe('accept-encoding')
    const api = await fetch(url('/api/missing'), { headers: { accept: 'application/json' } })
    expect(api.status).toBe(404)
    expect(api.headers.get('content-type')).toBe('application/problem+json')
    expect((await fetch(url('/index.html'), { method: 'POST' })).status).toBe(404)
  })

  it('mounts a second root under its prefix, tried after the first', async () => {
    const res = await fetch(url('/assets/logo.svg'))
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toBe('image/svg+xml; charset=utf-8')
    expect(res.headers.get('cache-control')).toBe('public, max-age=0')
  })

  it('denies dotfiles unless told otherwise', async () => {
    expect((await fetch(url('/.env'))).status).toBe(403)
    const ignoring = await start(App.new().wrap(Static.new(site, { dotfiles: 'ignore' })))
    expect((await fetch(`${ignoring.url}/.env`)).status).toBe(404)
    const allowing = await start(App.new().wrap(Static.new(site, { dotfiles: 'allow' })))
    expect(await (await fetch(`${allowing.url}/.env`)).text()).toBe('TOKEN=1')
  })

  it('serves the precompressed sibling the client prefers, never for a range', async () => {
    // On the first app /data.json is a route: this one has none.
    const files = await start(App.new().wrap(Static.new(site, { precompressed: ['br', 'gzip'] })))
    const get_ = (headers: Record<string, string>) => fetch(`${files.url}/data.json`, { headers })
    const brotli = await get_({ 'accept-encoding': 'gzip, br' })
    expect(brotli.headers.get('content-encoding')).toBe('br')
    expect(brotli.headers.get('content-type')).toBe('application/json; charset=utf-8')
    expect(brotli.headers.get('vary')).toBe('accept-encoding')
    expect(await brotli.json()).toEqual({ from: 'br' })
    const gzip = await get_({ 'accept-encoding': 'gzip;q=1, br;q=0.5' })
    expect(gzip.headers.get('content-encoding')).toBe('gzip')
    expect(await gzip.json()).toEqual({ from: 'gz' })
    expect(gzip.headers.get('etag')).not.toBe(brotli.headers.get('etag'))
    const plain = await get_({ 'accept-encoding': 'identity' })
    expect(plain.headers.get('content-encoding')).toBeNull()
    expect(await plain.text()).toBe('{"plain":true}')
    const ranged = await get_({ 'accept-encoding': 'br', range: 'bytes=0-3' })
    expect(ranged.status).toBe(206)
    expect(ranged.headers.get('content-encoding')).toBeNull()
  })

  it.each([
    '/../outside/secret.txt',
    '/%2e%2e/outside/secret.txt',
    '/%2E%2E/outside/secret.txt',
    '/.%2e/outside/secret.txt',
    '/%2e./outside/secret.txt',
    '/docs/../../outside/secret.txt',
    '/docs/%2e%2e/%2e%2e/outside/secret.txt',
    '/..%2foutside%2fsecret.txt',
    '/..%2Foutside%2Fsecret.txt',
    '/docs%2f..%2f..%2foutside%2fsecret.txt',
    '/..%5coutside%5csecret.txt',
    '/..%5Coutside%5Csecret.txt',
    '/..\\outside\\secret.txt',
    '/%252e%252e/outside/secret.txt',
    '/%c0%ae%c0%ae/outside/secret.txt',
    '/%c0%2e%c0%2e/outside/secret.txt',
    '/%e0%80%ae%e0%80%ae/outside/secret.txt',
    '/%ff/outside/secret.txt',
    '/index.html%00.txt',
    '/index.html%00',
    '/C:/outside/secret.txt',
    '/c%3a/outside/secret.txt',
    '/C:%5coutside%5csecret.txt',
    '/link.txt',
    '/./link.txt',
    '//link.txt',
    '/docs/../link.txt',
    '/%6c%69%6e%6b.txt',
    '/../../../../../../etc/passwd',
    '/%2e%2e%2f%2e%2e%2f%2e%2e%2fetc%2fpasswd',
    '/....//....//outside/secret.txt',
    '/.git/config',
  ])('never serves %s from outside the root', async (nasty) => {
    const text = await raw(server.port, `GET ${nasty} HTTP/1.1\r\nHost: x\r\nAccept: application/json\r\nConnection: close\r\n\r\n`)
    const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1])
    expect([400, 403, 404]).toContain(status)
    expect(text).not.toContain(SECRET)
  })

  it('follows a symlink out of the root only when told to', async () => {
    const following = await start(App.new().wrap(Static.new(site, { followSymlinks: true })))
    expect(await (await fetch(`${following.url}/link.txt`)).text()).toBe(SECRET)
  })

  it('streams a large file in bounded memory, and aborts one cut short', async () => {
    const file = path.join(dir, 'large.bin')
    writeFileSync(file, '')
    truncateSync(file, 128 * 1024 * 1024)
    const files = await start(App.new().wrap(Static.new(dir, { dotfiles: 'allow' })))
    const before = process.memoryUsage().rss
    const res = await fetch(`${files.url}/large.bin`)
    let bytes = 0
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) bytes += chunk.byteLength
    expect(bytes).toBe(128 * 1024 * 1024)
    expect(process.memoryUsage().rss - before).toBeLessThan(64 * 1024 * 1024)
    const cut = await fetch(`${files.url}/large.bin`)
    truncateSync(file, 1024)
    await expect(cut.arrayBuffer()).rejects.toThrow()
  })

  it('passes the app-wide native middleware: Compression compresses whole files, never a range', async () => {
    const { Compression } = await import('@armature/core')
    const files = await start(App.new().wrap(Compression.new({ minSize: 16 })).wrap(Static.new(site)))
    const whole = await fetch(`${files.url}/big.bin`, { headers: { 'accept-encoding': 'gzip' } })
    expect(whole.headers.get('content-type')).toBe('application/octet-stream')
    const html = await fetch(`${files.url}/docs/index.html`, { headers: { 'accept-encoding': 'gzip' } })
    expect(html.headers.get('content-encoding')).toBe(null)
    const text = Buffer.alloc(100_000, 'a').toString()
    writeFileSync(path.join(site, 'long.txt'), text)
    const long = await fetch(`${files.url}/long.txt`, { headers: { 'accept-encoding': 'gzip' } })
    expect(long.headers.get('content-encoding')).toBe('gzip')
    expect(await long.text()).toBe(text)
    const part = await fetch(`${files.url}/long.txt`, { headers: { 'accept-encoding': 'gzip', range: 'bytes=0-99' } })
    expect(part.status).toBe(206)
    expect(part.headers.get('content-encoding')).toBe(null)
    expect(await part.text()).toBe(text.slice(0, 100))
  })

  it('holds a slow reader of a 256 MiB file to a bounded window', async () => {
    const file = path.join(dir, 'huge.bin')
    writeFileSync(file, '')
    truncateSync(file, 256 * 1024 * 1024)
    const files = await start(App.new().wrap(Static.new(dir)))
    const before = process.memoryUsage().rss
    const { default: http } = await import('node:http')
    const received = await new Promise<number>((resolve, reject) => {
      http.get(`${files.url}/huge.bin`, (res) => {
        let bytes = 0
        res.on('data', (chunk: Buffer) => {
          bytes += chunk.length
          if (bytes >= 1024 * 1024 && !res.isPaused()) {
            // The client stops reading: the engine must stop reading the disk too.
            res.pause()
            setTimeout(() => {
              res.destroy()
              resolve(bytes)
            }, 2000)
          }
        })
        res.on('error', () => {})
      }).on('error', reject)
    })
    expect(received).toBeLessThan(64 * 1024 * 1024)
    expect(process.memoryUsage().rss - before).toBeLessThan(64 * 1024 * 1024)
  })

  it('serves HTTP/2 the same', async () => {
    const client = http2.connect(server.url)
    const stream = client.request({ ':path': '/big.bin', range: 'bytes=0-3' })
    const [headers, body] = await new Promise<[http2.IncomingHttpHeaders, Buffer]>((resolve, reject) => {
      const chunks: Buffer[] = []
      let head: http2.IncomingHttpHeaders = {}
      stream.on('response', (h) => (head = h))
      stream.on('data', (chunk: Buffer) => chunks.push(chunk))
      stream.on('end', () => resolve([head, Buffer.concat(chunks)]))
      stream.on('error', reject)
    })
    client.close()
    expect(headers[':status']).toBe(206)
    expect(body).toEqual(big.subarray(0, 4))
  })

  it('refuses what cannot work where it is declared', () => {
    const invalid = (message: string) => expect.objectContaining({ code: 'ERR_ARMATURE_INVALID_OPTION', message: expect.stringContaining(message) as unknown })
    expect(() => Static.new(path.join(dir, 'missing'))).toThrow(invalid('is not a directory'))
    expect(() => Static.new(site, { immutable: /x/g })).toThrow(invalid("the flags 'g' are not supported"))
    expect(() => Static.new(site, { immutable: /(?<=a)b/ })).toThrow(invalid('does not compile'))
    expect(() => Static.new(site, { maxage: 1 } as never)).toThrow(invalid('unknown field `maxage`'))
    expect(() => scope('/x').wrap(Static.new(site) as never)).toThrow(expect.objectContaining({ code: 'ERR_ARMATURE_APP_ONLY' }))
    expect(() => get(() => HttpResponse.empty()).wrap(Static.new(site) as never)).toThrow(expect.objectContaining({ code: 'ERR_ARMATURE_APP_ONLY' }))
  })

  it('has every option in the table of docs/static.md', () => {
    const page = readFileSync(new URL('../docs/static.md', import.meta.url), 'utf8')
    const table = page.slice(page.indexOf('## Options'), page.indexOf('\n## ', page.indexOf('## Options') + 1))
    const documented = [...table.matchAll(/^\| `(\w+)`/gm)].map((m) => m[1]).sort()
    const generated = readFileSync(new URL('../src/generated/middleware.ts', import.meta.url), 'utf8')
    const start = generated.indexOf('export type StaticOptions = {')
    const keys = [...generated.slice(start, generated.indexOf('};', start)).matchAll(/^(\w+)\??:/gm)].map((m) => m[1])
    expect(documented).toEqual(['root', ...keys].sort())
  })
})

describe('HttpResponse.file', () => {
  let server: Server
  beforeAll(async () => {
    const files = path.join(dir, 'public')
    server = await App.new()
      .wrap(async (req, next) => (await next(req)).header('x-js', 'seen'))
      .route('/files/*rest', get((req) => HttpResponse.file(path.join(files, req.safePath('rest')), { maxAge: '1m' })))
      .route('/download', get(() => HttpResponse.file(path.join(files, 'big.bin'), { filename: 'résumé "final".bin' })))
      .route('/typed', get(() => HttpResponse.file(path.join(files, 'data.json')).header('content-type', 'text/plain')))
      .run({ host: '127.0.0.1', port: 0 })
  })
  afterAll(() => server.close())

  it('sends the file with its type, validators and caching, through JS middleware', async () => {
    const res = await fetch(`${server.url}/files/style.css`)
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toBe('text/css; charset=utf-8')
    expect(res.headers.get('etag')).toMatch(/^W\//)
    expect(res.headers.get('cache-control')).toBe('public, max-age=60')
    expect(res.headers.get('x-js')).toBe('seen')
    expect(await res.text()).toBe('body{}')
    const again = await fetch(`${server.url}/files/style.css`, { headers: { 'if-none-match': res.headers.get('etag') as string } })
    expect(again.status).toBe(304)
    expect(again.headers.get('x-js')).toBe('seen')
  })

  it('serves a range, HEAD, and a download name; a missing file is a 404 problem', async () => {
    const part = await fetch(`${server.url}/download`, { headers: { range: 'bytes=0-4' } })
    expect(part.status).toBe(206)
    expect(Buffer.from(await part.arrayBuffer())).toEqual(big.subarray(0, 5))
    expect(part.headers.get('content-disposition')).toBe(`attachment; filename="r_sum_ _final_.bin"; filename*=UTF-8''r%C3%A9sum%C3%A9%20%22final%22.bin`)
    const head = await fetch(`${server.url}/download`, { method: 'HEAD' })
    expect(head.headers.get('content-length')).toBe(String(big.length))
    expect((await fetch(`${server.url}/typed`)).headers.get('content-type')).toBe('text/plain')
    const missing = await fetch(`${server.url}/files/nope.txt`)
    expect(missing.status).toBe(404)
    expect(await missing.json()).toMatchObject({ status: 404, detail: 'the file does not exist' })
    expect((await fetch(`${server.url}/files/..%2foutside%2fsecret.txt`)).status).toBe(400)
  })

  it('works through testClient too', async () => {
    const { testClient } = await import('@armature/core/testing')
    const client = testClient(App.new().route('/f', get(() => HttpResponse.file(path.join(dir, 'public', 'index.html')))))
    const res = await client.get('/f', { headers: { range: 'bytes=1-3' } })
    expect(res.status).toBe(206)
    expect(res.text()).toBe('h1>')
  })

  it('refuses what it cannot send where it is made', () => {
    expect(() => HttpResponse.file(path.join(dir, 'x'), { maxAge: 'soon' })).toThrow(expect.objectContaining({ code: 'ERR_ARMATURE_INVALID_OPTION' }))
    expect(() => App.new().route('/x', get(HttpResponse.file(path.join(dir, 'x'))))).toThrow(expect.objectContaining({ code: 'ERR_ARMATURE_INVALID_ROUTE' }))
  })
})
