import { createHash } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { App, get, HttpResponse, post, type Request } from '@armature/core'
import { raw, start, statuses } from './helpers.js'

describe('the request object', () => {
  it('exposes method, url, path, queries, headers and the client', async () => {
    const server = await start(
      App.new().route('/info/:id', get((req) => ({
        method: req.method,
        url: req.url,
        path: req.path,
        id: req.param('id'),
        // Untyped, a missing name reads undefined (typed, it would not compile).
        missing: (req as unknown as Request).param('missing') ?? null,
        fields: req.query('fields'),
        tags: req.query('tag'),
        accept: req.header('ACCEPT'),
        custom: req.headers['x-custom'],
        ip: req.ip,
        version: req.httpVersion,
      }))),
    )
    const res = await fetch(`${server.url}/info/7?fields=name,email&tag=a&tag=b`, {
      headers: { accept: 'application/json', 'x-custom': 'yes' },
    })
    expect(await res.json()).toEqual({
      method: 'GET',
      url: '/info/7?fields=name,email&tag=a&tag=b',
      path: '/info/7',
      id: '7',
      missing: null,
      fields: 'name,email',
      tags: ['a', 'b'],
      accept: 'application/json',
      custom: 'yes',
      ip: '127.0.0.1',
      version: '1.1',
    })
  })

  it.each([10, 5000, 200_000])('reads a %i-byte body as a Buffer, as text and as JSON', async (size) => {
    const server = await start(
      App.new()
        .route('/buffer', post((req) => req.body))
        .route('/text', post((req) => req.text()))
        .route('/json', post((req) => req.json<{ data: string }>().data.length)),
    )
    const data = Buffer.alloc(size, 'é').toString('utf8').slice(0, size)
    const payload = JSON.stringify({ data })
    const bytes = await fetch(`${server.url}/buffer`, { method: 'POST', body: payload })
    expect(Buffer.from(await bytes.arrayBuffer()).toString()).toBe(payload)
    const text = await fetch(`${server.url}/text`, { method: 'POST', body: payload })
    expect(await text.text()).toBe(payload)
    const json = await fetch(`${server.url}/json`, { method: 'POST', body: payload })
    expect(await json.json()).toBe(data.length)
  })

  it('gives an empty body as an empty Buffer and an empty string', async () => {
    const server = await start(App.new().route('/', post((req) => ({ bytes: req.body.length, text: req.text() }))))
    expect(await (await fetch(`${server.url}/`, { method: 'POST' })).json()).toEqual({ bytes: 0, text: '' })
  })

  it.each([
    ['{bad', "the request body is not valid JSON: Expected property name or '}' in JSON at position 1"],
    ['', 'the request body is not valid JSON: the request body is empty'],
  ])('answers 400 to invalid JSON %j', async (body, detail) => {
    const server = await start(App.new().route('/', post((req) => req.json())))
    const res = await fetch(`${server.url}/`, { method: 'POST', body })
    expect(res.status).toBe(400)
    expect(await res.json()).toMatchObject({ status: 400, detail: expect.stringContaining(detail.split(' (')[0] as string) })
  })

  it('answers 400 to a path parameter that is not UTF-8 once decoded', async () => {
    const server = await start(App.new().route('/u/:name', get((req) => req.param('name'))))
    const res = await fetch(`${server.url}/u/%FF`)
    expect(res.status).toBe(400)
    expect(await res.json()).toMatchObject({ detail: "path parameter 'name' is not valid UTF-8 once decoded" })
  })

  it('throws ERR_ARMATURE_REQUEST_FINISHED when read after the response', async () => {
    let kept: Request | undefined
    const server = await start(App.new().route('/', get((req) => { kept = req; return 'ok' })))
    await (await fetch(`${server.url}/`, { headers: { 'x-late': '1' } })).text()
    expect(() => kept?.header('x-late')).toThrow(expect.objectContaining({ code: 'ERR_ARMATURE_REQUEST_FINISHED' }))
    expect(() => kept?.body).toThrow(expect.objectContaining({ code: 'ERR_ARMATURE_REQUEST_FINISHED' }))
  })

  it('keeps values read before the response', async () => {
    let kept: Request | undefined
    const server = await start(App.new().route('/k/:id', get((req) => { kept = req; void req.url; return 'ok' })))
    await (await fetch(`${server.url}/k/5?x=1`)).text()
    expect(kept?.param('id')).toBe('5')
    expect(kept?.query('x')).toBe('1')
  })
})

describe('request bodies', () => {
  it('belong to the handler: writing into req.body leaves other requests and answers intact', async () => {
    const digest = (body: Buffer) => createHash('sha256').update(body).digest('hex')
    const server = await start(
      App.new()
        .route('/scribble', post((req) => {
          const body = req.body
          const before = digest(body)
          body.fill(0xff)
          // Read again after the write: the handler sees its own bytes, nothing else does.
          return { before, after: req.body === body && req.text() === body.toString() }
        }))
        .route('/echo', post((req) => HttpResponse.bytes(req.body))),
    )
    const sizes = [100, 5000, 64 * 1024, 1024 * 1024]
    const jobs = Array.from({ length: 64 }, (_, i) => {
      const size = sizes[i % sizes.length]!
      const body = Buffer.alloc(size, `${i}:`.repeat(4))
      return { i, body, path: i % 2 ? '/scribble' : '/echo' }
    })
    const answers = await Promise.all(
      jobs.map(async ({ body, path }) => {
        const res = await fetch(`${server.url}${path}`, { method: 'POST', body })
        return path === '/echo' ? Buffer.from(await res.arrayBuffer()) : ((await res.json()) as { before: string; after: boolean })
      }),
    )
    for (const [n, { body, path }] of jobs.entries()) {
      if (path === '/echo') expect(digest(answers[n] as Buffer), `job ${n}`).toBe(digest(body))
      else expect(answers[n], `job ${n}`).toEqual({ before: digest(body), after: true })
    }
  })
})

describe('req.safePath', () => {
  const app = () =>
    App.new().route('/files/*rest', get((req) => ({ raw: req.param('rest'), safe: req.safePath('rest') })))

  it.each([
    ['/files/docs/guide.md', 'docs/guide.md'],
    ['/files/docs/./guide.md', 'docs/guide.md'],
    ['/files/a//b/', 'a/b'],
    ['/files/caf%C3%A9/men%C3%BC.txt', 'café/menü.txt'],
    ['/files/...', '...'],
  ])('%s is the relative path %s', async (target, safe) => {
    const server = await start(app())
    const answer = await raw(server.port, `GET ${target} HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n`)
    expect(statuses(answer)).toEqual([200])
    const body = Buffer.from(answer.slice(answer.indexOf('\r\n\r\n') + 4), 'latin1').toString('utf8')
    expect(JSON.parse(body)).toMatchObject({ safe })
  })

  it.each([
    ['/files/../etc/passwd', "leaves its directory ('..')"],
    ['/files/a/../../etc', "leaves its directory ('..')"],
    ['/files/%2e%2e/etc', "leaves its directory ('..')"],
    ['/files/a%2Fb', 'holds an encoded slash (%2F)'],
    ['/files/a%2f..%2fb', 'holds an encoded slash (%2F)'],
    ['/files/a%5Cb', 'holds a backslash'],
    ['/files/a%00b', 'holds a NUL byte'],
    ['/files/C:/windows', 'starts with a drive letter'],
  ])('%s is refused with a 400 problem', async (target, why) => {
    const server = await start(app())
    const answer = await raw(server.port, `GET ${target} HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n`)
    expect(statuses(answer)).toEqual([400])
    expect(answer).toContain('application/problem+json')
    expect(answer).toContain(`the path parameter 'rest' ${why}`)
  })

  it('leaves req.param as sent, decoded', async () => {
    const server = await start(app().route('/raw/*rest', get((req) => req.param('rest'))))
    const answer = await raw(server.port, `GET /raw/a%2Fb/../c HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n`)
    expect(answer.endsWith('a/b/../c')).toBe(true)
  })
})
