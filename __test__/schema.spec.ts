// JSON bodies validated in the engine against a route's JSON Schema, before
// any JS runs: every violation listed, what is not JSON refused, schemas
// compiled (and refused) where the route is declared.
import { describe, expect, it } from 'vitest'
import { App, post, scope } from '@armature/core'
import { raw, start } from './helpers.js'

const User = {
  type: 'object',
  additionalProperties: false,
  required: ['name', 'age'],
  properties: { name: { type: 'string', minLength: 1 }, age: { type: 'integer', minimum: 0 } },
}

let calls = 0
const app = () =>
  App.new({ limits: { bodySize: '2mb' } })
    .route('/users', post((req) => {
      calls++
      return { got: req.json() }
    }, { schema: { body: User } }))
    .route('/email', post(() => 'ok', { schema: { body: { type: 'string', format: 'email' }, formats: 'assert' } }))
    .route('/loose-email', post(() => 'ok', { schema: { body: { type: 'string', format: 'email' } } }))
    .route('/pattern', post(() => 'ok', { schema: { body: { type: 'string', pattern: '^(a+)+$' } } }))
    .service(scope('/v1').route('/users', post((req) => req.json(), { schema: { body: User } })))
    .route('/plain', post((req) => req.json()))

const send = (url: string, body: string, type = 'application/json') => fetch(url, { method: 'POST', body, headers: { 'content-type': type } })

describe('schema.body', () => {
  it('passes a body that matches to the handler', async () => {
    const server = await start(app())
    const res = await send(`${server.url}/users`, '{"name":"Ada","age":36}')
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({ got: { name: 'Ada', age: 36 } })
    const scoped = await send(`${server.url}/v1/users`, '{"name":"Ada","age":36}', 'application/vnd.users+json; charset=utf-8')
    expect(await scoped.json()).toEqual({ name: 'Ada', age: 36 })
  })

  it('answers a body that does not match with a 400 listing every violation, before the handler runs', async () => {
    const server = await start(app())
    const before = calls
    const res = await send(`${server.url}/users`, '{"name":"","age":-1,"admin":true}')
    expect(res.status).toBe(400)
    expect(res.headers.get('content-type')).toBe('application/problem+json')
    const problem = (await res.json()) as { detail: string; errors: { pointer: string; keyword: string; detail: string }[] }
    expect(problem.detail).toBe("the request body does not match the route's schema")
    expect(problem.errors.map((e) => [e.pointer, e.keyword]).sort()).toEqual([['', 'additionalProperties'], ['/age', 'minimum'], ['/name', 'minLength']])
    for (const error of problem.errors) expect(error.detail.length).toBeGreaterThan(5)
    expect(calls).toBe(before)
  })

  it('refuses what is not JSON: 415 for another media type or none, 400 for empty or malformed text', async () => {
    const server = await start(app())
    const cases: [string, string, number, string][] = [
      ['{"name":"a","age":1}', 'text/plain', 415, 'this route takes application/json, not text/plain'],
      ['', 'application/json', 400, 'the request body is empty; this route takes JSON'],
      ['{"name":', 'application/json', 400, 'the request body is not valid JSON: EOF while parsing a value at line 1 column 8'],
    ]
    // fetch gives a string body a content-type of its own: this one has none.
    const bare = await raw(server.port, 'POST /users HTTP/1.1\r\nhost: x\r\ncontent-length: 20\r\nconnection: close\r\n\r\n{"name":"a","age":1}')
    expect(bare).toMatch(/^HTTP\/1\.1 415 /)
    expect(bare).toContain('this route takes application/json, not a body without a content-type')
    for (const [body, type, status, detail] of cases) {
      const res = await send(`${server.url}/users`, body, type)
      expect({ body, type, answer: await res.json() }).toMatchObject({ body, type, answer: { status, detail } })
    }
  })

  it('answers 1 MiB of nested arrays, or a catastrophic pattern, promptly with a 400', async () => {
    const server = await start(app())
    const deep = `${'['.repeat(512 * 1024)}${']'.repeat(512 * 1024)}`
    const res = await send(`${server.url}/users`, deep)
    expect(res.status).toBe(400)
    expect(((await res.json()) as { detail: string }).detail).toMatch(/recursion limit exceeded/)
    const evil = await send(`${server.url}/pattern`, JSON.stringify(`${'a'.repeat(50_000)}!`))
    expect(evil.status).toBe(400)
    expect(await evil.json()).toMatchObject({ errors: [{ pointer: '', keyword: 'pattern' }] })
    // A huge body on a route without a schema: refused at bodySize, never parsed.
    const huge = await fetch(`${server.url}/plain`, { method: 'POST', body: Buffer.alloc(16 * 1024 * 1024, 0x5b), headers: { 'content-type': 'application/json' } })
    expect(huge.status).toBe(413)
    // Other requests are served meanwhile and after.
    expect((await send(`${server.url}/users`, '{"name":"a","age":1}')).status).toBe(200)
  })

  it('asserts format only when asked', async () => {
    const server = await start(app())
    expect((await send(`${server.url}/email`, '"not an email"')).status).toBe(400)
    expect((await send(`${server.url}/email`, '"ada@example.com"')).status).toBe(200)
    expect((await send(`${server.url}/loose-email`, '"not an email"')).status).toBe(200)
  })

  it('throws ERR_ARMATURE_INVALID_SCHEMA where a route with a bad schema is declared, naming it', () => {
    const route = (body: unknown) => () => App.new().route('/things', post(() => 'ok', { schema: { body } }))
    expect(route({ type: 12 })).toThrow(expect.objectContaining({ code: 'ERR_ARMATURE_INVALID_SCHEMA', message: expect.stringMatching(/^POST \/things: schema\.body: /) }))
    expect(route({ $ref: '#/$defs/missing' })).toThrow(expect.objectContaining({ code: 'ERR_ARMATURE_INVALID_SCHEMA' }))
    expect(route({ $ref: 'https://example.com/schemas/thing.json' })).toThrow(expect.objectContaining({ code: 'ERR_ARMATURE_INVALID_SCHEMA' }))
    // Patterns run on a linear-time engine: one that needs backtracking does not compile.
    expect(route({ type: 'string', pattern: '(?=a)a' })).toThrow(expect.objectContaining({ code: 'ERR_ARMATURE_INVALID_SCHEMA' }))
    // A scope's routes compile when the app adds them, against the app's shared schemas.
    const bad = scope('/s').route('/x', post(() => 'ok', { schema: { body: { minimum: 'zero' } } }))
    expect(() => App.new().service(bad)).toThrow(expect.objectContaining({ code: 'ERR_ARMATURE_INVALID_SCHEMA', message: expect.stringMatching(/^POST \/s\/x: /) }))
  })

  it('throws ERR_ARMATURE_INVALID_ROUTE for schema.body on a streamed or form route', () => {
    expect(() => App.new().route('/a', post(() => 'ok', { stream: true, schema: { body: User } }))).toThrow(expect.objectContaining({ code: 'ERR_ARMATURE_INVALID_ROUTE' }))
    expect(() => App.new().route('/b', post(() => 'ok', { body: 'form', schema: { body: User } }))).toThrow(expect.objectContaining({ code: 'ERR_ARMATURE_INVALID_ROUTE' }))
  })

  it('resolves $refs to shared schemas registered with app.schema, by $id or by a URI given', async () => {
    const shared = scope('/shared').route('/user', post((req) => req.json(), { schema: { body: { $ref: 'https://example.com/user' } } }))
    const server = await start(
      App.new({ schemas: { formats: 'assert' } })
        .schema({ $id: 'https://example.com/user', type: 'object', required: ['email'], properties: { email: { type: 'string', format: 'email' } } })
        .schema('https://example.com/tag', { type: 'string', maxLength: 3 })
        .service(shared)
        .route('/tags', post((req) => req.json(), { schema: { body: { type: 'array', items: { $ref: 'https://example.com/tag' } } } }))
        // The same relative $id in two routes: each route's schema has its own base URI.
        .route('/a', post(() => 'a', { schema: { body: { $id: 'item', type: 'string' } } }))
        .route('/b', post(() => 'b', { schema: { body: { $id: 'item', type: 'number' } } })),
    )
    expect((await send(`${server.url}/shared/user`, '{"email":"ada@example.com"}')).status).toBe(200)
    const refused = await send(`${server.url}/shared/user`, '{"email":"nope"}')
    expect(await refused.json()).toMatchObject({ status: 400, errors: [{ pointer: '/email', keyword: 'format' }] })
    expect((await send(`${server.url}/tags`, '["ab","abcd"]')).status).toBe(400)
    expect((await send(`${server.url}/a`, '"x"')).status).toBe(200)
    expect((await send(`${server.url}/b`, '1')).status).toBe(200)
    expect(() => App.new().schema({ type: 'string' })).toThrow(expect.objectContaining({ code: 'ERR_ARMATURE_INVALID_SCHEMA' }))
    expect(() => App.new().schema('https://x.test/s', {}).schema('https://x.test/s', {})).toThrow(expect.objectContaining({ code: 'ERR_ARMATURE_INVALID_SCHEMA' }))
  })

  it('reads a schema as the draft its $schema names: draft-07 tuples', async () => {
    const tuple = { $schema: 'http://json-schema.org/draft-07/schema#', type: 'array', items: [{ type: 'string' }], additionalItems: false }
    const server = await start(App.new().route('/pair', post(() => 'ok', { schema: { body: tuple } })))
    expect((await send(`${server.url}/pair`, '["a"]')).status).toBe(200)
    const refused = await send(`${server.url}/pair`, '["a", 1]')
    expect(await refused.json()).toMatchObject({ status: 400, errors: [{ pointer: '', keyword: 'additionalItems' }] })
    // The same array form of items is not a draft 2020-12 schema.
    const { $schema: _, ...modern } = tuple
    expect(() => App.new().route('/pair', post(() => 'ok', { schema: { body: modern } }))).toThrow(expect.objectContaining({ code: 'ERR_ARMATURE_INVALID_SCHEMA' }))
  })
})
