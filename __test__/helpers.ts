import net from 'node:net'
import { afterEach } from 'vitest'
import type { App, Server } from '@armature/core'

const running = new Set<Server>()

afterEach(async () => {
  await Promise.all([...running].map((server) => server.close({ timeout: 1000 })))
  running.clear()
})

/** Runs `app` on 127.0.0.1 and a free port; closed after each test. */
export async function start(app: App<any>, host = '127.0.0.1'): Promise<Server> {
  const server = await app.run({ host, port: 0 })
  running.add(server)
  return server
}

/** Sends `text` as is on a new connection and returns everything read until the server closes it or `ms` pass. */
export function raw(port: number, text: string | Buffer, ms = 2000): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1')
    const chunks: Buffer[] = []
    const timer = setTimeout(() => socket.end(), ms)
    socket.on('connect', () => socket.write(text))
    socket.on('data', (chunk) => chunks.push(chunk))
    socket.on('error', reject)
    socket.on('close', () => {
      clearTimeout(timer)
      resolve(Buffer.concat(chunks).toString('latin1'))
    })
  })
}

/** The status codes of every response in a raw HTTP/1.x transcript (a response may follow a body on its line). */
export function statuses(transcript: string): number[] {
  return [...transcript.matchAll(/HTTP\/1\.[01] (\d{3}) /g)].map((m) => Number(m[1]))
}

/** A promise with its resolve function, for holding a handler open. */
export function deferred<T = void>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void
  const promise = new Promise<T>((r) => (resolve = r))
  return { promise, resolve }
}
