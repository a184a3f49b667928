// URL-encoded forms, parsed in Rust: pairs in order, repeated names as
// arrays, names that could pollute a prototype kept as plain keys, the media
// type checked, and one way of reading a body.
import http2 from 'node:http2'
import { describe, expect, it } from 'vitest'
import { App, post } from '@armature/core'
import { start } from './helpers.js'

const echo = () =>
  App.new()
    .route('/form', post((req) => {
      const form = req.form()
      return { form, prototype: Object.getPrototypeOf(form) === null, keys: Object.keys(form) }
    }))
    .route('/then-body', post((req) => {
      req.form()
      return req.text()
    }))
    .route('/body-then', post((req) => {
      void req.body
      return req.form()
    }))

describe('req.form()', () => {
  it('parses pairs in order, with repeated names as arrays and UTF-8', async () => {
    const server = await start(echo())
    const body = new URLSearchParams([['title', 'Déjà vu + more'], ['tag', 'a'], ['tag', 'b'], ['empty', '']])
    const res = await fetch(`${server.url}/form`, { method: 'POST', body })
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({ form: { title: 'Déjà vu + more', tag: ['a', 'b'], empty: '' }, prototype: true, keys: ['title', 'tag', 'empty'] })
  })

  it('keeps __proto__ and constructor as plain keys', async () => {
    const server = await start(echo())
    const res = await fetch(`${server.url}/form`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' },
      body: '__proto__=evil&constructor=x&__proto__[polluted]=1',
    })
    const { form, prototype } = (await res.json()) as { form: Record<string, unknown>; prototype: boolean }
    expect(prototype).toBe(true)
    expect(Object.entries(form)).toEqual([['__proto__', 'evil'], ['constructor', 'x'], ['__proto__[polluted]', '1']])
    expect(({} as Record<string, unknown>).polluted).toBeUndefined()
  })

  it('answers another media type with a 415 problem', async () => {
    const server = await start(echo())
    const res = await fetch(`${server.url}/form`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' })
    expect(res.status).toBe(415)
    expect(await res.json()).toMatchObject({ status: 415, detail: 'the request body must be application/x-www-form-urlencoded, not application/json' })
  })

  it('takes the body: another reader before or after it throws ERR_ARMATURE_BODY_USED', async () => {
    const errors: unknown[] = []
    const server = await start(echo().onError((error) => {
      errors.push((error as { code?: string }).code)
      return 'refused'
    }))
    for (const path of ['/then-body', '/body-then']) {
      const res = await fetch(server.url + path, { method: 'POST', body: new URLSearchParams({ a: '1' }) })
      expect(await res.text()).toBe('refused')
    }
    expect(errors).toEqual(['ERR_ARMATURE_BODY_USED', 'ERR_ARMATURE_BODY_USED'])
  })

  it('parses the same over HTTP/2', async () => {
    const server = await start(echo())
    const client = http2.connect(server.url)
    const stream = client.request({ ':method': 'POST', ':path': '/form', 'content-type': 'application/x-www-form-urlencoded' })
    stream.end('a=1&a=2')
    const text = await new Promise<string>((resolve, reject) => {
      let out = ''
      stream.setEncoding('utf8')
      stream.on('data', (chunk: string) => (out += chunk))
      stream.on('end', () => resolve(out))
      stream.on('error', reject)
    })
    client.close()
    expect(JSON.parse(text).form).toEqual({ a: ['1', '2'] })
  })

  it("declared with { body: 'form' }, answers another media type 415 before the handler runs", async () => {
    let calls = 0
    const server = await start(App.new().route('/login', post((req) => {
      calls++
      return req.form()
    }, { body: 'form' })))
    const json = await fetch(`${server.url}/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"user":"ada"}' })
    expect(json.status).toBe(415)
    expect(await json.json()).toMatchObject({ detail: 'this route takes application/x-www-form-urlencoded, not application/json' })
    const none = await fetch(`${server.url}/login`, { method: 'POST' })
    expect(none.status).toBe(415)
    expect(calls).toBe(0)
    const form = await fetch(`${server.url}/login`, { method: 'POST', headers: { 'content-type': 'Application/X-WWW-Form-Urlencoded; charset=UTF-8' }, body: 'user=ada' })
    expect(await form.json()).toEqual({ user: 'ada' })
    expect(() => post(() => 'x', { body: 'xml' as never })).toThrow(expect.objectContaining({ code: 'ERR_ARMATURE_INVALID_OPTION', message: expect.stringContaining('unknown variant `xml`') as unknown }))
  })
})
