import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { App, BodyLimit, Compression, Cors, ETag, get, Logger, post, RateLimit, RequestId, SecurityHeaders, Timeout } from '@armature/core'
import { LIMITS_OPTIONS } from '../src/generated/options.js'
import { start } from './helpers.js'

const invalid = (message: string) => ({ code: 'ERR_ARMATURE_INVALID_OPTION', message })

describe('options are checked', () => {
  it.each([
    [{ limits: { bodySise: 10 } }, 'limits.bodySise: unknown option; did you mean limits.bodySize?'],
    [{ limits: { requesttimeout: 10 } }, 'limits.requesttimeout: unknown option; did you mean limits.requestTimeout?'],
    [{ limit: {} }, 'limit: unknown option; did you mean limits?'],
    [{ sparkles: true }, 'sparkles: unknown option; valid options are limits, serverName, cookies, schemas, trustProxy'],
    [{ limits: { bodySize: true } }, 'limits.bodySize must be a number or a string, got true'],
    [{ limits: 5 }, 'limits must be an object, got 5'],
    [{ serverName: true }, 'serverName must be a string, or false for none, got true'],
    [{ cookies: { secrets: 'x'.repeat(16) } }, 'cookies.secrets: unknown option; did you mean cookies.secret?'],
    [{ limits: { constructor: 1 } }, 'limits.constructor: unknown option; valid options are bodySize, headerSize, uriLength, requestTimeout, keepAliveTimeout, headersTimeout, bodyTimeout, http2PingInterval, sendTimeout, maxPending, maxQueueDelay, retryAfter, maxConnections'],
  ])('App.new(%o) throws naming the key', (options, message) => {
    expect(() => App.new(options as never)).toThrow(expect.objectContaining(invalid(message)))
  })

  it.each([
    [{ port: 0, hots: '127.0.0.1' }, 'hots: unknown option; did you mean host?'],
    [{ port: '8080' }, "port must be a number, got '8080'"],
    [{ port: 0, handleSignals: 'yes' }, "handleSignals must be a boolean, got 'yes'"],
  ])('run(%o) rejects naming the key', async (options, message) => {
    await expect(App.new().run(options as never)).rejects.toMatchObject(invalid(message))
  })

  it.each([
    [{ bodySize: '10' }, "limits.bodySize: '10' has no unit; use a number of bytes or e.g. '512kb' or '10mb'"],
    [{ requestTimeout: 'soon' }, "limits.requestTimeout: 'soon' is not a duration"],
  ])('run() rejects limits %o it cannot read', async (limits, message) => {
    await expect(App.new({ limits }).run({ port: 0 })).rejects.toMatchObject({ code: 'ERR_ARMATURE_INVALID_OPTION', message: expect.stringContaining(message) as unknown })
  })

  const bad = [Number.NaN, -1, 1.5, 1e300, 'ten', '10']
  it.each(Object.keys(LIMITS_OPTIONS).flatMap((key) => bad.map((value) => [key, value] as const)))('App.new or run() refuses limits.%s = %o naming it', async (key, value) => {
    await expect((async () => App.new({ limits: { [key]: value } }).run({ port: 0 }))()).rejects.toMatchObject({ code: 'ERR_ARMATURE_INVALID_OPTION', message: expect.stringContaining(`limits.${key}`) as unknown })
  })

  it.each(['port', 'workers', 'shutdownTimeout'].flatMap((key) => bad.map((value) => [key, value] as const)))('run({ %s: %o }) rejects naming it', async (key, value) => {
    await expect(App.new().run({ port: 0, [key]: value })).rejects.toMatchObject({ code: 'ERR_ARMATURE_INVALID_OPTION', message: expect.stringContaining(key) as unknown })
  })

  it.each([
    ['Cors', () => Cors.new({ zzz: 1 } as never)],
    ['Compression', () => Compression.new({ zzz: 1 } as never)],
    ['ETag', () => ETag.new({ zzz: 1 } as never)],
    ['Logger', () => Logger.json({ zzz: 1 } as never)],
    ['RateLimit', () => RateLimit.new({ limit: 1, window: 1000, zzz: 1 } as never)],
    ['RequestId', () => RequestId.new({ zzz: 1 } as never)],
    ['SecurityHeaders', () => SecurityHeaders.new({ zzz: 1 } as never)],
  ])('%s refuses an unknown key', (_name, make) => {
    expect(make).toThrow(expect.objectContaining({ code: 'ERR_ARMATURE_INVALID_OPTION', message: expect.stringContaining('unknown field `zzz`') as unknown }))
  })

  it('reads sizes and times with units', async () => {
    const server = await start(App.new({ limits: { bodySize: '1kb', requestTimeout: '30s', keepAliveTimeout: '5s' } }).route('/', post((req) => `${req.body.length}`)))
    expect(await (await fetch(`${server.url}/`, { method: 'POST', body: 'x'.repeat(1024) })).text()).toBe('1024')
    expect((await fetch(`${server.url}/`, { method: 'POST', body: 'x'.repeat(1025) })).status).toBe(413)
    await server.close({ timeout: '50ms' })
  })

  it('close() checks its options and the server keeps serving', async () => {
    const server = await start(App.new().route('/', get(() => 'up')))
    await expect(server.close({ timout: 5 } as never)).rejects.toMatchObject(invalid('close.timout: unknown option; did you mean close.timeout?'))
    expect(await (await fetch(`${server.url}/`)).text()).toBe('up')
  })

  it.each([
    ['Cors maxAge NaN', () => Cors.new({ maxAge: Number.NaN }), 'cors options: maxAge must be a finite number, got NaN'],
    ['Cors maxAge -1', () => Cors.new({ maxAge: -1 }), 'cors options: maxAge: invalid value: integer `-1`'],
    ['Cors maxAge 1.5', () => Cors.new({ maxAge: 1.5 }), 'cors options: maxAge: invalid type: floating point `1.5`'],
    ['Cors maxAge 1e300', () => Cors.new({ maxAge: 1e300 }), 'cors options: maxAge: invalid type: floating point `1e+300`'],
    ["Cors maxAge 'ten'", () => Cors.new({ maxAge: 'ten' as never }), 'cors options: maxAge: invalid type: string "ten"'],
    ['Compression minSize Infinity', () => Compression.new({ minSize: Infinity }), 'compression options: minSize must be a finite number, got Infinity'],
    ['RateLimit limit 1e300', () => RateLimit.new({ limit: 1e300, window: '1m' }), 'rateLimit: limit must be a whole number from 1 to 9007199254740991, got 1e300'],
    ['RateLimit window 1e300', () => RateLimit.new({ limit: 1, window: 1e300 }), 'rateLimit: window must be a whole number from 0 to 2147483647, got 1e300'],
    ['RateLimit maxKeys 1.5', () => RateLimit.new({ limit: 1, window: '1m', maxKeys: 1.5 }), 'rateLimit: maxKeys must be a whole number from 1 to 9007199254740991, got 1.5'],
    ['RateLimit maxBytes -1', () => RateLimit.new({ limit: 1, window: '1m', maxBytes: -1 }), 'rateLimit: maxBytes must be a whole number from 0'],
    ['App trustProxy -1', () => App.new({ trustProxy: -1 }), 'trustProxy hops must be a whole number from 0 to 1024, got -1'],
    ['RateLimit unknown key', () => RateLimit.new({ limit: 1, window: '1m', windw: 1 } as never), '; did you mean window?'],
    ['SecurityHeaders nested', () => SecurityHeaders.new({ strictTransportSecurity: { maxAge: -1 } }), 'securityHeaders options: strictTransportSecurity: maxAge: invalid value: integer `-1`'],
    ['BodyLimit 1e300', () => BodyLimit.new(1e300), 'bodyLimit must be a whole number from 0 to 9007199254740991, got 1e300'],
    ['BodyLimit NaN', () => BodyLimit.new(Number.NaN), 'bodyLimit options: the value must be a finite number, got NaN'],
    ["BodyLimit '10'", () => BodyLimit.new('10'), "bodyLimit: '10' has no unit"],
    ["Timeout 'ten'", () => Timeout.new('ten'), "timeout: 'ten' is not a duration"],
    ['ETag weak', () => ETag.new({ weak: 'yes' as never }), 'etag options: weak: invalid type: string "yes", expected a boolean'],
    ['RequestId header', () => RequestId.new({ header: 5 as never }), 'requestId options: header: invalid type: integer `5`, expected a string'],
    ['Logger fields', () => Logger.json({ fields: 5 as never }), 'logger options: fields: invalid type: integer `5`, expected a map'],
  ])('%s throws ERR_ARMATURE_INVALID_OPTION naming the key', (_name, make, message) => {
    expect(make).toThrow(expect.objectContaining({ code: 'ERR_ARMATURE_INVALID_OPTION', message: expect.stringContaining(message) as unknown }))
  })

  it('native middleware options refuse unknown keys', () => {
    expect(() => Cors.new({ orign: '*' } as never)).toThrow(expect.objectContaining({ code: 'ERR_ARMATURE_INVALID_OPTION', message: expect.stringContaining('unknown field `orign`') as unknown }))
  })

  it('valid options in every accepted form pass', async () => {
    const app = App.new({ limits: { bodySize: 10, requestTimeout: undefined }, serverName: false, cookies: { secret: ['a'.repeat(16)] } })
    const server = await start(app.route('/', get(() => 'ok')))
    expect(await (await fetch(`${server.url}/`)).text()).toBe('ok')
  })

  it("docs/limits.md's limits table lists exactly the limits the checker accepts", () => {
    const page = readFileSync(fileURLToPath(new URL('../docs/limits.md', import.meta.url)), 'utf8')
    // The limits' tables, and load shedding's, from "## Limits" on.
    const section = page.slice(page.indexOf('## Limits\n'))
    const documented = [...section.matchAll(/^\| `(\w+)`/gm)].map((m) => m[1]).sort()
    expect(documented).toEqual(Object.keys(LIMITS_OPTIONS).sort())
  })

  it("docs/middleware.md's native middleware sections document exactly the generated option keys", () => {
    const page = readFileSync(fileURLToPath(new URL('../docs/middleware.md', import.meta.url)), 'utf8')
    const generated = readFileSync(fileURLToPath(new URL('../src/generated/middleware.ts', import.meta.url)), 'utf8')
    const keysOf = (type: string) => {
      const start = generated.indexOf(`export type ${type} = {`)
      expect(start, type).toBeGreaterThan(-1)
      const body = generated.slice(start, generated.indexOf('};', start))
      return [...body.matchAll(/^(\w+)\??:/gm)].map((m) => m[1]).sort()
    }
    const section = (heading: string) => {
      const start = page.indexOf(`### ${heading}\n`)
      expect(start, heading).toBeGreaterThan(-1)
      return page.slice(start, page.indexOf('\n##', start + 1))
    }
    // Sections with an option table list exactly the type's keys.
    for (const [heading, type] of [['Logger', 'LoggerOptions'], ['Cors', 'CorsOptions'], ['Compression', 'CompressionOptions'], ['RateLimit', 'RateLimitOptions']] as const) {
      const documented = [...section(heading).matchAll(/^\| `(\w+)`/gm)].map((m) => m[1]).sort()
      expect(documented, heading).toEqual(keysOf(type))
    }
    // The others name every key in their prose.
    for (const [heading, types] of [['SecurityHeaders', ['SecurityHeadersOptions', 'ContentSecurityPolicy', 'StrictTransportSecurity']], ['ETag', ['ETagOptions']], ['RequestId', ['RequestIdOptions']]] as const) {
      const text = section(heading)
      for (const key of types.flatMap(keysOf)) expect(text, `${heading}: ${key}`).toMatch(new RegExp(`\\b${key}\\b`))
    }
  })

  it('the generated option keys match index.d.ts', () => {
    const script = fileURLToPath(new URL('../tools/option-keys.mjs', import.meta.url))
    expect(() => execFileSync(process.execPath, [script, '--check'], { stdio: 'pipe' })).not.toThrow()
  })
})
