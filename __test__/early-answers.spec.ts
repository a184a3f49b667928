import http2 from 'node:http2'
import net from 'node:net'
import { once } from 'node:events'
import { describe, expect, it } from 'vitest'
import { Agent, fetch as undiciFetch } from 'undici'
import { App, post } from '@armature/core'
import { start, statuses } from './helpers.js'

const KiB = 1024
const MiB = 1024 * KiB

function app(bodySize: number) {
  return App.new({ limits: { bodySize } }).route('/upload', post((req) => `${req.body.length}`))
}

/** Writes `head` (and `body`, once asked to) on one connection; resolves with everything read when the server closes it. */
function converse(port: number, head: string, body?: Buffer): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => socket.write(head))
    let received = ''
    socket.on('data', (chunk: Buffer) => {
      received += chunk.toString('latin1')
      if (body && received.includes('100 Continue')) {
        socket.write(body)
        body = undefined
      }
    })
    socket.on('error', reject)
    socket.on('close', () => resolve(received))
  })
}

describe('early answers to uploads', () => {
  it('deliver every 413 to keep-alive fetch clients, and small uploads still succeed', async () => {
    const server = await start(app(1 * MiB))
    const dispatcher = new Agent({ connections: 32 })
    const big = Buffer.alloc(2 * MiB, 'x')
    const small = Buffer.alloc(4 * KiB, 'y')
    const outcomes: string[] = []
    try {
      await Promise.all(
        Array.from({ length: 32 }, async () => {
          for (let i = 0; i < 12; i++) {
            const oversized = i % 2 === 0
            try {
              const res = await undiciFetch(`${server.url}/upload`, { method: 'POST', body: oversized ? big : small, dispatcher })
              const type = res.headers.get('content-type')
              const text = await res.text()
              outcomes.push(oversized ? `${res.status} ${type} ${(JSON.parse(text) as { status: number }).status}` : `${res.status} ${text}`)
            } catch (error) {
              outcomes.push(`error ${((error as Error).cause as Error | undefined)?.message ?? (error as Error).message}`)
            }
          }
        }),
      )
    } finally {
      await dispatcher.close()
    }
    const counts: Record<string, number> = {}
    for (const outcome of outcomes) counts[outcome] = (counts[outcome] ?? 0) + 1
    expect(counts).toEqual({ '413 application/problem+json 413': 192, [`200 ${4 * KiB}`]: 192 })
  })

  it('keep the connection when the body is over the limit by less than the drain budget', async () => {
    const server = await start(app(1 * KiB))
    const body = 'z'.repeat(2 * KiB)
    const head = (length: number, close = '') => `POST /upload HTTP/1.1\r\nhost: x\r\ncontent-length: ${length}\r\n${close}\r\n`
    const transcript = await converse(server.port, head(body.length) + body + head(3, 'connection: close\r\n') + 'abc')
    expect(statuses(transcript)).toEqual([413, 200])
    expect(transcript.slice(0, transcript.indexOf('\r\n\r\n'))).not.toMatch(/connection: close/i)
    expect(transcript.endsWith('3')).toBe(true)
  })

  it('close the connection after a body too large to drain, once the answer is out', async () => {
    const server = await start(app(1 * KiB))
    const socket = net.connect(server.port, '127.0.0.1')
    const closed = once(socket, 'close')
    await once(socket, 'connect')
    let received = ''
    socket.on('data', (chunk: Buffer) => (received += chunk.toString('latin1')))
    socket.on('error', () => {})
    socket.write(`POST /upload HTTP/1.1\r\nhost: x\r\ncontent-length: ${8 * MiB}\r\n\r\n`)
    // Keep sending, as a client that does not read until it has written its body.
    const chunk = Buffer.alloc(64 * KiB, 'w')
    for (let sent = 0; sent < 8 * MiB && socket.writable; sent += chunk.length) {
      if (!socket.write(chunk)) await Promise.race([once(socket, 'drain'), closed])
    }
    socket.end()
    await closed
    expect(statuses(received)).toEqual([413])
    expect(received).toMatch(/connection: close/i)
    expect(received).toContain('"status":413')
  })

  it('answer 413 to Expect: 100-continue over the limit without asking for the body', async () => {
    const server = await start(app(1 * KiB))
    const transcript = await converse(server.port, `POST /upload HTTP/1.1\r\nhost: x\r\nexpect: 100-continue\r\ncontent-length: ${2 * MiB}\r\n\r\n`, Buffer.alloc(2 * MiB))
    expect(transcript).not.toContain('100 Continue')
    expect(statuses(transcript)).toEqual([413])
    expect(transcript).toMatch(/connection: close/i)
  })

  it('asks for the body of Expect: 100-continue within the limit', async () => {
    const server = await start(app(1 * KiB))
    const transcript = await converse(server.port, 'POST /upload HTTP/1.1\r\nhost: x\r\nexpect: 100-continue\r\nconnection: close\r\ncontent-length: 5\r\n\r\n', Buffer.from('hello'))
    expect(statuses(transcript)).toEqual([100, 200])
    expect(transcript.endsWith('5')).toBe(true)
  })

  it('answer 413 over HTTP/2 and keep the connection for the next stream', async () => {
    const server = await start(app(1 * MiB))
    const session = http2.connect(server.url)
    try {
      const post = (body: Buffer) =>
        new Promise<{ status: number; text: string }>((resolve, reject) => {
          const stream = session.request({ ':method': 'POST', ':path': '/upload' })
          let status = 0
          let text = ''
          stream.on('response', (headers) => (status = Number(headers[':status'])))
          stream.setEncoding('utf8')
          stream.on('data', (chunk: string) => (text += chunk))
          stream.on('end', () => resolve({ status, text }))
          stream.on('error', reject)
          stream.end(body)
        })
      const refused = await post(Buffer.alloc(2 * MiB))
      expect(refused.status).toBe(413)
      expect(JSON.parse(refused.text)).toMatchObject({ status: 413 })
      expect(await post(Buffer.alloc(10))).toEqual({ status: 200, text: '10' })
    } finally {
      session.close()
    }
  })
})
