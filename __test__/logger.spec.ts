import { execFile } from 'node:child_process'
import { hostname } from 'node:os'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { prettyFactory } from 'pino-pretty'
import { describe, expect, it } from 'vitest'
import { App, get, HttpError, Logger, type LogRecord } from '@armature/core'
import { testClient } from '@armature/core/testing'

const fixture = fileURLToPath(new URL('./fixtures/logging.mjs', import.meta.url))

async function logLines(level: string): Promise<Record<string, unknown>[]> {
  const { stdout } = await promisify(execFile)(process.execPath, [fixture, level], { encoding: 'utf8' })
  return stdout
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as Record<string, unknown>)
}

describe('Logger', () => {
  it('writes one pino line per request, with the request id, before the server counts as closed', async () => {
    const lines = await logLines('info')
    expect(lines).toHaveLength(3)
    const [ok, missing, boom] = lines
    const started = Date.now() - 60_000
    for (const line of lines) {
      expect(line).toMatchObject({ pid: expect.any(Number), hostname: hostname(), service: 'api', region: { name: 'eu' } })
      expect(line.time).toBeGreaterThan(started)
      expect(line.responseTime).toBeGreaterThanOrEqual(0)
    }
    expect(ok).toMatchObject({ level: 30, msg: 'request completed', req: { method: 'GET', url: '/?a=1', id: 'trace-1', remoteAddress: '127.0.0.1' }, res: { statusCode: 200 } })
    // The address the trusted proxy reports, as pino-http names it.
    expect(missing).toMatchObject({ level: 40, req: { method: 'GET', url: '/missing', remoteAddress: '203.0.113.7' }, res: { statusCode: 404 } })
    expect((missing?.req as { id: string }).id).toMatch(/^[0-9a-f-]{36}$/)
    expect(boom).toMatchObject({ level: 50, msg: 'request errored', res: { statusCode: 503 } })
  })

  it('skips lines below its level', async () => {
    const lines = await logLines('warn')
    expect(lines.map((line) => (line.res as { statusCode: number }).statusCode)).toEqual([404, 503])
    expect(await logLines('silent')).toEqual([])
  })

  it('writes what pino-pretty reads', async () => {
    const [line] = await logLines('info')
    const pretty = prettyFactory({ colorize: false })(JSON.stringify(line))
    expect(pretty).toContain('INFO')
    expect(pretty).toContain('request completed')
    expect(pretty).toContain('"statusCode": 200')
    expect(pretty).toContain('"url": "/?a=1"')
  })

  it('hands each record to a custom function instead, on the JS thread', async () => {
    const records: LogRecord[] = []
    const app = App.new()
      .wrap(Logger.custom((record) => records.push(record)))
      .route('/', get(() => 'ok'))
      .route('/teapot', get(() => { throw new HttpError(418, 'no') }))
    const client = testClient(app)
    await client.get('/?x=1', { headers: { 'x-request-id': 'r1' } })
    await client.get('/teapot')
    expect(records).toMatchObject([
      { req: { method: 'GET', url: '/?x=1', id: 'r1' }, res: { statusCode: 200 } },
      { req: { method: 'GET', url: '/teapot', id: undefined }, res: { statusCode: 418 } },
    ])
    expect(records[0]?.responseTime).toBeGreaterThanOrEqual(0)
  })

  it('throws ERR_ARMATURE_INVALID_OPTION for unusable options', () => {
    const cases: [() => unknown, string][] = [
      [() => Logger.json({ level: 'loud' as 'info' }), 'unknown variant `loud`, expected one of `trace`'],
      [() => Logger.json({ destination: 'file' as 'stdout' }), 'unknown variant `file`, expected `stdout` or `stderr`'],
      [() => Logger.json({ fields: { msg: 'x' } }), "the field 'msg' is written by the logger itself"],
      [() => Logger.json({ requestIdHeader: 'bad header' }), "'bad header' is not a valid header name"],
    ]
    for (const [make, message] of cases) {
      expect(make).toThrow(expect.objectContaining({ code: 'ERR_ARMATURE_INVALID_OPTION', message: expect.stringContaining(message) }))
    }
  })
})
