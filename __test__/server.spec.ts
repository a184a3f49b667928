import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { App, get, post } from '@armature/core'
import { deferred, start } from './helpers.js'

describe('listening', () => {
  it.each(['127.0.0.1:0', { host: '127.0.0.1', port: 0 }, 0] as const)('runs on %o', async (address) => {
    const server = await App.new().route('/', get(() => 'up')).run(address)
    try {
      expect(server.port).toBeGreaterThan(0)
      expect(server.url).toBe(`http://127.0.0.1:${server.port}`)
      expect(await (await fetch(server.url)).text()).toBe('up')
    } finally {
      await server.close()
    }
  })

  it('rejects a port in use with ERR_ARMATURE_LISTEN', async () => {
    const first = await start(App.new())
    await expect(App.new().run({ host: '127.0.0.1', port: first.port })).rejects.toMatchObject({
      code: 'ERR_ARMATURE_LISTEN',
      message: expect.stringContaining(`cannot listen on 127.0.0.1:${first.port}`),
    })
  })

  it.each([
    ['nonsense', 'ERR_ARMATURE_LISTEN', "invalid address 'nonsense'"],
    [{ host: 'no-such-host.invalid', port: 0 }, 'ERR_ARMATURE_INVALID_OPTION', "cannot resolve the host 'no-such-host.invalid'"],
    [{ host: '127.0.0.1', port: 70000 }, 'ERR_ARMATURE_INVALID_OPTION', 'port must be a whole number from 0 to 65535, got 70000'],
    [{ host: '127.0.0.1', port: -1 }, 'ERR_ARMATURE_INVALID_OPTION', 'port must be a whole number from 0 to 65535, got -1'],
    [{ port: 0, workers: 0 }, 'ERR_ARMATURE_INVALID_OPTION', 'workers must be a whole number from 1 to 1024, got 0'],
    [{ port: 0, workers: 1e9 }, 'ERR_ARMATURE_INVALID_OPTION', 'workers must be a whole number from 1 to 1024, got 1000000000'],
    [{ port: 0, workers: 1.5 }, 'ERR_ARMATURE_INVALID_OPTION', 'workers must be a whole number from 1 to 1024, got 1.5'],
  ] as const)('rejects the address %o', async (address, code, message) => {
    await expect(App.new().run(address)).rejects.toMatchObject({ code, message: expect.stringContaining(message) })
  })

  it('answers 1,000 parallel requests, each with its own body', async () => {
    const server = await start(
      App.new()
        .route('/n/:n', get(async (req) => ({ n: Number(req.param('n')) * 2 })))
        .route('/echo', post((req) => req.text())),
    )
    const results = await Promise.all(
      Array.from({ length: 1000 }, async (_, i) => {
        const res = i % 2 === 0 ? await fetch(`${server.url}/n/${i}`) : await fetch(`${server.url}/echo`, { method: 'POST', body: `body ${i}` })
        return [res.status, await res.text()] as const
      }),
    )
    results.forEach(([status, body], i) => {
      expect(status).toBe(200)
      expect(body).toBe(i % 2 === 0 ? `{"n":${i * 2}}` : `body ${i}`)
    })
  })
})

describe('closing', () => {
  it('finishes a request in flight, refuses new connections, then resolves', async () => {
    const entered = deferred()
    const release = deferred()
    const server = await App.new()
      .route('/slow', get(async () => { entered.resolve(); await release.promise; return 'finished' }))
      .run({ host: '127.0.0.1', port: 0 })
    const inFlight = fetch(`${server.url}/slow`)
    await entered.promise
    let closed = false
    const closing = server.close().then(() => { closed = true })
    await new Promise((r) => setTimeout(r, 100))
    await expect(fetch(`${server.url}/slow`)).rejects.toThrow()
    expect(closed).toBe(false)
    release.resolve()
    const res = await inFlight
    expect(res.status).toBe(200)
    expect(await res.text()).toBe('finished')
    await closing
    expect(closed).toBe(true)
  })

  it('cuts requests still running after the timeout', async () => {
    const entered = deferred()
    const server = await App.new()
      .route('/hang', get(async () => { entered.resolve(); await new Promise(() => {}) }))
      .run({ host: '127.0.0.1', port: 0 })
    const outcome = fetch(`${server.url}/hang`).then(() => 'answered', () => 'cut')
    await entered.promise
    await server.close({ timeout: 200 })
    expect(await outcome).toBe('cut')
  })

  it.each([1e300, -1, Number.NaN, Infinity, 1.5, 'soon', '1000d'])('rejects a close timeout of %o with a coded error and keeps serving', async (timeout) => {
    const server = await start(App.new().route('/', get(() => 'still up')))
    await expect(server.close({ timeout: timeout as number })).rejects.toMatchObject({
      code: 'ERR_ARMATURE_INVALID_OPTION',
      message: expect.stringMatching(/^close timeout/) as unknown,
    })
    expect(await (await fetch(`${server.url}/`)).text()).toBe('still up')
  })

  it('refuses a bad shutdownTimeout when it runs, not on the signal', async () => {
    await expect(App.new().run({ port: 0, handleSignals: true, shutdownTimeout: 1e300 })).rejects.toMatchObject({
      code: 'ERR_ARMATURE_INVALID_OPTION',
      message: 'shutdownTimeout must be a whole number from 0 to 2147483647, got 1e300',
    })
  })

  it('can be called twice', async () => {
    const server = await App.new().run({ host: '127.0.0.1', port: 0 })
    await Promise.all([server.close(), server.close()])
  })
})

describe('process lifetime', () => {
  const fixture = fileURLToPath(new URL('./fixtures/lifetime.mjs', import.meta.url))

  async function child(...args: string[]) {
    const proc = spawn(process.execPath, [fixture, ...args], { stdio: ['ignore', 'pipe', 'inherit'] })
    const [line] = (await once(proc.stdout, 'data')) as [Buffer]
    const exited = once(proc, 'exit') as Promise<[number | null, string | null]>
    return { proc, port: Number(line.toString().trim()), exited }
  }

  it('keeps Node alive while listening and lets it exit after close()', async () => {
    const { proc, port, exited } = await child()
    await new Promise((r) => setTimeout(r, 300))
    expect(proc.exitCode).toBeNull()
    expect(await (await fetch(`http://127.0.0.1:${port}/`)).text()).toBe('alive')
    expect(await (await fetch(`http://127.0.0.1:${port}/stop`)).text()).toBe('stopping')
    expect(await exited).toEqual([0, null])
  })

  // Windows has no SIGTERM to deliver: kill() ends the process outright there.
  it.skipIf(process.platform === 'win32')('closes gracefully on SIGTERM when handleSignals is set', async () => {
    const { proc, exited } = await child('signals')
    proc.kill('SIGTERM')
    expect(await exited).toEqual([0, null])
  })

  it('serves from worker threads that load the addon one after another', async () => {
    const script = fileURLToPath(new URL('./fixtures/workers.mjs', import.meta.url))
    const proc = spawn(process.execPath, [script], { stdio: ['ignore', 'pipe', 'inherit'] })
    let out = ''
    proc.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()))
    const [code, signal] = (await once(proc, 'exit')) as [number | null, string | null]
    expect({ code, signal }).toEqual({ code: 0, signal: null })
    expect(JSON.parse(out)).toEqual(Array(3).fill('from a worker / from a worker'))
  })
})
