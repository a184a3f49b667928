// 10× overload, survived: a server whose handler burns ~1 ms of CPU (so it
// answers ~1,000 req/s on one core) is offered ten times what it can answer,
// open-loop, from many connections. It must keep answering: admitted requests
// within their timeout, the rest 503 at once, its RSS bounded.
// Then it holds IDLE_CONNECTIONS (10,000) idle keep-alive connections, which
// the default maxConnections must allow, and reports what they cost.
//   npm run overload                  (OVERLOAD_SECONDS=20 OVERLOAD_FACTOR=10 OVERLOAD_RSS_MIB=1024 IDLE_CONNECTIONS=10000)
// Bounded: the run lasts OVERLOAD_SECONDS, and the server is killed (and the
// run fails) if its RSS passes OVERLOAD_RSS_MIB.
import { execFileSync, spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'
import net from 'node:net'
import path from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { Pool } from 'undici'

const here = path.dirname(fileURLToPath(import.meta.url))
const SECONDS = Number(process.env.OVERLOAD_SECONDS ?? 20)
const FACTOR = Number(process.env.OVERLOAD_FACTOR ?? 10)
const RSS_MIB = Number(process.env.OVERLOAD_RSS_MIB ?? 1024)
const CONNECTIONS = 2048
const IDLE = Number(process.env.IDLE_CONNECTIONS ?? 10_000)
const PORT = 18500

const rssMib = (pid) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]) / 1024
const percentile = (sorted, p) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))] : NaN)

// The server on CPU 0, this client on CPU 1 (as `npm run bench` pins them).
const server = spawn('taskset', ['-c', '0', process.execPath, path.join(here, 'servers', 'burn.mjs')], {
  env: { ...process.env, PORT: String(PORT), NODE_ENV: 'production' },
  stdio: ['ignore', 'pipe', 'inherit'],
})
// Keep this client off the server's core.
execFileSync('taskset', ['-pc', '1', String(process.pid)], { stdio: 'ignore' })
const lines = createInterface({ input: server.stdout })
const stats = []
await new Promise((resolve, reject) => {
  server.once('exit', (code) => reject(new Error(`the server exited with ${code}`)))
  lines.on('line', (line) => (line === 'ready' ? resolve() : stats.push(JSON.parse(line))))
})

const pool = new Pool(`http://127.0.0.1:${PORT}`, { connections: CONNECTIONS, pipelining: 1, headersTimeout: 60_000, bodyTimeout: 60_000 })
const get = async () => {
  const started = performance.now()
  try {
    const { statusCode, body } = await pool.request({ path: '/work', method: 'GET' })
    await body.text()
    return { status: statusCode, ms: performance.now() - started }
  } catch (error) {
    return { status: error.code ?? 'error', ms: performance.now() - started }
  }
}

// Capacity: a few connections, closed-loop, for 3 s.
const capacityEnd = performance.now() + 3000
let answered = 0
await Promise.all(
  Array.from({ length: 8 }, async () => {
    while (performance.now() < capacityEnd) if ((await get()).status === 200) answered++
  }),
)
const capacity = answered / 3
const rate = capacity * FACTOR
console.log(`capacity ${capacity.toFixed(0)} req/s; offering ${rate.toFixed(0)} req/s (${FACTOR}×) for ${SECONDS} s from up to ${CONNECTIONS} connections`)

// Overload: open-loop, a tick every 5 ms sends what the schedule owes.
const baselineRss = rssMib(server.pid)
let peakRss = baselineRss
let killed = false
const results = []
const inflight = new Set()
const started = performance.now()
let sent = 0
await new Promise((resolve) => {
  const tick = setInterval(() => {
    const elapsed = (performance.now() - started) / 1000
    const rss = rssMib(server.pid)
    peakRss = Math.max(peakRss, rss)
    if (rss > RSS_MIB) {
      killed = true
      server.kill('SIGKILL')
    }
    if (elapsed >= SECONDS || killed) {
      clearInterval(tick)
      resolve()
      return
    }
    for (const due = Math.floor(elapsed * rate); sent < due; sent++) {
      const request = get().then((result) => {
        results.push(result)
        inflight.delete(request)
      })
      inflight.add(request)
    }
  }, 5)
})
await Promise.all(inflight)
const elapsed = (performance.now() - started) / 1000
await pool.close()

const by = (status) => results.filter((r) => r.status === status).map((r) => r.ms).sort((a, b) => a - b)
const ok = by(200)
const shed = by(503)
const other = results.filter((r) => r.status !== 200 && r.status !== 503)
const alive = server.exitCode === null && !killed
// The server's own view, from the stats it printed each second under load.
const loaded = stats.slice(-Math.max(1, Math.floor(SECONDS) - 1))
const last = stats.at(-1) ?? {}
const utilization = loaded.reduce((sum, s) => sum + s.eventLoopUtilization, 0) / loaded.length
const delayMax = Math.max(0, ...loaded.map((s) => s.eventLoopDelay.max))
console.log(`offered ${(sent / elapsed).toFixed(0)} req/s: ${results.length} answers in ${elapsed.toFixed(1)} s`)
console.log(`200: ${ok.length} (${(ok.length / elapsed).toFixed(0)} req/s), p50 ${percentile(ok, 50).toFixed(1)} ms, p99 ${percentile(ok, 99).toFixed(1)} ms, max ${percentile(ok, 100).toFixed(1)} ms`)
console.log(`503: ${shed.length}, p50 ${percentile(shed, 50).toFixed(1)} ms, p99 ${percentile(shed, 99).toFixed(1)} ms`)
console.log(`other: ${other.length}${other.length ? ` (${[...new Set(other.map((r) => r.status))].join(', ')})` : ''}`)
console.log(`server: shed ${last.shed}, event loop ${(utilization * 100).toFixed(0)}% busy (delay at most ${delayMax.toFixed(0)} ms), RSS ${baselineRss.toFixed(1)} MiB before, peak ${peakRss.toFixed(1)} MiB`)

// Idle connections: each sends one request, reads its answer and stays open.
const idleBefore = rssMib(server.pid)
const sockets = []
let idleErrors = 0
for (let opened = 0; opened < IDLE && alive; opened += 500) {
  const batch = Array.from({ length: Math.min(500, IDLE - opened) }, () => new Promise((resolve) => {
    const socket = net.connect(PORT, '127.0.0.1', () => socket.write('GET / HTTP/1.1\r\nhost: x\r\n\r\n'))
    socket.once('data', () => resolve(sockets.push(socket)))
    socket.once('error', () => resolve(idleErrors++))
  }))
  await Promise.all(batch)
}
const statsSeen = stats.length
while (alive && stats.length < statsSeen + 2) await new Promise((r) => setTimeout(r, 100))
const idleRss = rssMib(server.pid)
const held = stats.at(-1)?.connections ?? 0
console.log(`idle: ${sockets.length} connections held (${idleErrors} failed), server counts ${held} open; RSS ${idleBefore.toFixed(1)} → ${idleRss.toFixed(1)} MiB, ${(((idleRss - idleBefore) * 1024) / Math.max(1, sockets.length)).toFixed(1)} KiB each`)
for (const socket of sockets) socket.destroy()
server.kill()
const failures = [
  !alive && 'the server died or passed the RSS bound',
  other.length > 0 && 'some requests got neither 200 nor 503',
  ok.length === 0 && 'no request was answered 200',
  percentile(ok, 100) > 30_000 && 'an admitted request took longer than the 30 s request timeout',
  held < IDLE && `the server held ${held} of ${IDLE} idle connections`,
].filter(Boolean)
if (failures.length) {
  console.error(`overload failed: ${failures.join('; ')}`)
  process.exit(1)
}
console.log('overload survived')
