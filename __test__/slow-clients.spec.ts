import http2 from 'node:http2'
import net from 'node:net'
import { once } from 'node:events'
import { describe, expect, it } from 'vitest'
import { App, get, post } from '@armature/core'
import { start, statuses } from './helpers.js'

function app(limits: Record<string, number>) {
  return App.new({ limits })
    .route('/', get(() => 'ok'))
    .route('/upload', post((req) => `${req.body.length}`))
}

/** Opens a connection and resolves with what was read and whether the server closed it, after `act` ran on it. */
async function connection(port: number, act: (socket: net.Socket) => Promise<void> | void) {
  const socket = net.connect(port, '127.0.0.1')
  const closed = once(socket, 'close')
  let received = ''
  socket.on('data', (chunk: Buffer) => (received += chunk.toString('latin1')))
  socket.on('error', () => {})
  await once(socket, 'connect')
  await act(socket)
  await closed
  return received
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

describe('silent and slow clients', () => {
  it('closes a connection that sends nothing after headersTimeout, without an answer', async () => {
    const server = await start(app({ headersTimeout: 300, keepAliveTimeout: 60_000 }))
    // Only the server's timer can end these: the client waits for the close.
    expect(await connection(server.port, () => {})).toBe('')
    expect(await connection(server.port, (socket) => void socket.write('PRI * HTTP/2'))).toBe('')
    expect(await (await fetch(`${server.url}/`)).text()).toBe('ok')
  })

  it('answers 408 to a body trickled a byte at a time once bodyTimeout has passed', async () => {
    const server = await start(app({ bodyTimeout: 1500 }))
    let sent = 0
    const transcript = await connection(server.port, async (socket) => {
      socket.write('POST /upload HTTP/1.1\r\nhost: x\r\ncontent-length: 100\r\n\r\n')
      // A byte every 700 ms would never end an idle timer: only the whole-body deadline does.
      while (!socket.destroyed && sent < 100) {
        socket.write('x')
        sent++
        await sleep(700)
      }
    })
    expect(statuses(transcript)).toEqual([408])
    expect(transcript).toMatch(/connection: close/i)
    expect(transcript).toContain('the request body did not arrive within 1500 ms')
    expect(sent).toBeLessThan(10)
  })

  it('drops an HTTP/2 peer that stops answering PINGs', async () => {
    const server = await start(app({ http2PingInterval: 300, keepAliveTimeout: 60_000 }))
    // A peer that sends its preface and settings, then never reads or answers again.
    const received = await connection(server.port, (socket) => {
      socket.write(Buffer.concat([Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n'), Buffer.from([0, 0, 0, 4, 0, 0, 0, 0, 0])]))
    })
    // The server's SETTINGS, then a PING (type 6) it never got an answer to.
    expect(received.length).toBeGreaterThan(0)
    expect(Buffer.from(received, 'latin1').includes(Buffer.from([0, 0, 8, 6, 0, 0, 0, 0, 0]))).toBe(true)
  })

  it('closes an HTTP/2 connection with no open stream after keepAliveTimeout', async () => {
    const server = await start(app({ keepAliveTimeout: 300 }))
    const session = http2.connect(server.url)
    const closed = once(session, 'close')
    const goaway = once(session, 'goaway')
    const stream = session.request({ ':path': '/' })
    stream.setEncoding('utf8')
    let body = ''
    stream.on('data', (chunk: string) => (body += chunk))
    await once(stream, 'end')
    expect(body).toBe('ok')
    await goaway
    await closed
  })

  it.each(['headersTimeout', 'bodyTimeout', 'http2PingInterval'])('refuses a zero %s', async (name) => {
    await expect(app({ [name]: 0 }).run({ port: 0 })).rejects.toMatchObject({
      code: 'ERR_ARMATURE_INVALID_OPTION',
      message: `limits.${name} must be greater than zero`,
    })
  })
})
