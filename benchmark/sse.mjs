// SSE fan-out: one publisher sending an event every 10 ms to each of 1,000
// clients, on Armature and on a node:http server doing the same. Reports the
// events delivered per second and the JS thread's CPU per delivered event
// (from /proc/<pid>/task/<pid>/stat: the main thread only). Server on CPU 0,
// the clients (this process) on CPU 1. Bounded: 2 s of warm-up, SSE_SECONDS
// (5) measured, per server.
import { execFileSync, spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'
import net from 'node:net'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const here = path.dirname(fileURLToPath(import.meta.url))
const CLIENTS = 1000
const SECONDS = Number(process.env.SSE_SECONDS ?? 5)
const TICKS = CLOCK()

function CLOCK() {
  return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim())
}

/** User + system CPU of the process's main (JS) thread so far, in µs. */
function jsCpu(pid) {
  const fields = readFileSync(`/proc/${pid}/task/${pid}/stat`, 'utf8').split(') ')[1].split(' ')
  return ((Number(fields[11]) + Number(fields[12])) / TICKS) * 1e6
}

execFileSync('taskset', ['-pc', '1', String(process.pid)], { stdio: 'ignore' })

async function measure(name, file, port) {
  const server = spawn('taskset', ['-c', '0', process.execPath, path.join(here, 'servers', file)], {
    env: { ...process.env, PORT: String(port), NODE_ENV: 'production' },
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  await new Promise((resolve) => server.stdout.on('data', (chunk) => chunk.toString().includes('ready') && resolve()))
  let events = 0
  const sockets = []
  for (let n = 0; n < CLIENTS; n++) {
    const socket = net.connect(port, '127.0.0.1', () => socket.write('GET /events HTTP/1.1\r\nhost: x\r\naccept: text/event-stream\r\n\r\n'))
    socket.setEncoding('utf8')
    socket.on('data', (text) => {
      for (let at = text.indexOf('\n\n'); at !== -1; at = text.indexOf('\n\n', at + 2)) events++
    })
    socket.on('error', () => {})
    sockets.push(socket)
    if (n % 100 === 99) await new Promise((r) => setTimeout(r, 20))
  }
  await new Promise((r) => setTimeout(r, 2000))
  const startEvents = events
  const startCpu = jsCpu(server.pid)
  await new Promise((r) => setTimeout(r, SECONDS * 1000))
  const delivered = events - startEvents
  const cpu = jsCpu(server.pid) - startCpu
  for (const socket of sockets) socket.destroy()
  server.kill()
  const rate = delivered / SECONDS
  console.log(`${name.padEnd(9)} ${rate.toFixed(0).padStart(8)} events/s delivered (offered ${(CLIENTS * 100).toFixed(0)}/s)  JS thread ${(cpu / delivered).toFixed(2)} µs/event`)
  return { rate, perEvent: cpu / delivered }
}

const armature = await measure('armature', 'sse-armature.mjs', 18600)
const node = await measure('node:http', 'sse-node.mjs', 18601)
console.log(`armature/node:http: ${(armature.rate / node.rate).toFixed(2)}× the events, ${(armature.perEvent / node.perEvent).toFixed(2)}× the JS thread's CPU per event`)
