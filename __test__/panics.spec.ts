import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { createRequire } from 'node:module'
import http2 from 'node:http2'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { NativeMiddleware } from '@armature/core'

const native = createRequire(import.meta.url)('../index.js') as { panicForTest(): void }

describe('a panic in the addon', () => {
  it('on an engine thread answers that request 500 and closes its connection; on the JS thread throws ERR_ARMATURE_PANIC; Node lives on', async () => {
    const fixture = fileURLToPath(new URL('./fixtures/panics.mjs', import.meta.url))
    const proc = spawn(process.execPath, [fixture], {
      env: { ...process.env, ARMATURE_TEST_PANICS: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stderr = ''
    proc.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
    try {
      const [line] = (await once(proc.stdout, 'data')) as [Buffer]
      const url = `http://127.0.0.1:${Number(line.toString().trim())}`
      for (let i = 0; i < 3; i++) {
        const boom = await fetch(`${url}/boom`)
        expect(boom.status).toBe(500)
        expect(boom.headers.get('content-type')).toBe('application/problem+json')
        expect(boom.headers.get('connection')).toBe('close')
        expect(await boom.json()).toMatchObject({ status: 500, detail: 'the server failed while answering this request' })
        expect(await (await fetch(`${url}/ok`)).text()).toBe('still here')
      }
      // HTTP/2: the stream gets the 500, the session goes on.
      const session = http2.connect(url)
      for (const path of ['/boom', '/ok']) {
        const stream = session.request({ ':path': path })
        const [headers] = (await once(stream, 'response')) as [http2.IncomingHttpHeaders]
        stream.resume()
        await once(stream, 'end')
        expect(headers[':status']).toBe(path === '/boom' ? 500 : 200)
      }
      session.close()
      const thrown = (await (await fetch(`${url}/export`)).json()) as { thrown: boolean; code: string; message: string }
      expect(thrown).toEqual({ thrown: true, code: 'ERR_ARMATURE_PANIC', message: 'the native addon panicked: a panic a test asked for' })
      expect(await (await fetch(`${url}/ok`)).text()).toBe('still here')
      expect(proc.exitCode).toBeNull()
      expect(stderr).toContain('a panic a test asked for, on an engine thread')
    } finally {
      proc.kill()
    }
  })

  it('cannot be asked for without ARMATURE_TEST_PANICS=1', () => {
    const refused = expect.objectContaining({ code: 'ERR_ARMATURE_INVALID_OPTION', message: expect.stringContaining('ARMATURE_TEST_PANICS=1') as unknown })
    expect(() => native.panicForTest()).toThrow(refused)
    // The constructor is internal: the factories (`Cors.new`, …) are the public way.
    const Native = NativeMiddleware as unknown as new (kind: string, options: unknown) => NativeMiddleware
    expect(() => new Native('panicForTest', {})).toThrow(refused)
  })
})
