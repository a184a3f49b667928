// The soak: one server in its own process under a mix of well-behaved,
// throwing, rejecting, never-settling and slow handlers, aborting clients,
// oversized, malformed and trickled bodies, multipart uploads saved, read
// into FormData or cut off mid-file, over HTTP/1.1 and HTTP/2. Every
// 10 s it prints requests, answers by status, wrong answers and the server's
// RSS. It passes when the server never died, every answer had its expected
// status, RSS after the first minute grew by less than 10 %, and no saved
// or temp file of an upload is left.
// Bounded: SOAK_SECONDS (default 300), and it stops and fails when the
// server's RSS passes SOAK_RSS_MIB (default 1024).
//   npm run soak            SOAK_SECONDS=60 npm run soak
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import http2 from 'node:http2'
import net from 'node:net'
import { fileURLToPath } from 'node:url'
import { Agent, fetch, FormData } from 'undici'

const SECONDS = Number(process.env.SOAK_SECONDS ?? 300)
const RSS_CAP = Number(process.env.SOAK_RSS_MIB ?? 1024) * 1024 * 1024
const BASELINE_AT = Math.min(60, SECONDS / 3) * 1000
const REPORT_EVERY = 10_000
const MiB = 1024 * 1024

// Where the server saves uploads and keeps formData's temp files: both must be empty at the end.
const saveDir = mkdtempSync(path.join(os.tmpdir(), 'armature-soak-saved-'))
const tempDir = mkdtempSync(path.join(os.tmpdir(), 'armature-soak-temp-'))
const server = spawn(process.execPath, [fileURLToPath(new URL('./server.mjs', import.meta.url))], {
  stdio: ['ignore', 'pipe', 'inherit'],
  env: { ...process.env, SOAK_SAVE_DIR: saveDir, TMPDIR: tempDir },
})
let died = null
server.on('exit', (code, signal) => (died ??= `exited with ${signal ?? code}`))
const [line] = await once(server.stdout, 'data')
const port = Number(line.toString().trim())
const base = `http://127.0.0.1:${port}`

const started = Date.now()
const deadline = started + SECONDS * 1000
const running = () => Date.now() < deadline && died === null && !stopped
let stopped = false
const counts = { requests: 0, aborted: 0, wrong: 0, byStatus: {}, uploads: 0, cutUploads: 0 }
const wrongSamples = []

function record(kind, expected, status, detail = '') {
  counts.requests++
  counts.byStatus[status] = (counts.byStatus[status] ?? 0) + 1
  if (!expected.includes(status)) {
    counts.wrong++
    if (wrongSamples.length < 10) wrongSamples.push(`${kind}: expected ${expected.join('/')}, got ${status} ${detail}`.trim())
  }
}

/** The server's resident memory, from /proc where there is one. */
function rss() {
  try {
    const kb = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${server.pid}/status`, 'utf8'))?.[1]
    return Number(kb) * 1024
  } catch {
    return NaN
  }
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms))
const pick = (list) => list[Math.floor(Math.random() * list.length)]

// What a well-behaved client asks, and what it must get.
const CALLS = [
  { path: '/ok', status: 200, body: 'ok' },
  { path: '/json?n=7', status: 200, body: '{"n":7}' },
  { path: '/throw', status: 500 },
  { path: '/reject', status: 409 },
  { path: '/slow', status: 200, body: 'slow' },
  { path: '/missing', status: 404 },
]

async function fetchLoop(dispatcher) {
  while (running()) {
    if (Math.random() < 0.2) {
      const body = 'e'.repeat(1 + Math.floor(Math.random() * 8192))
      await expectFetch('echo', `${base}/echo`, { method: 'POST', body, dispatcher }, 200, body)
    } else {
      const call = pick(CALLS)
      await expectFetch(call.path, base + call.path, { dispatcher }, call.status, call.body)
    }
  }
}

/** Records an answer that must have `status` and, when given, `body`. */
function check(kind, status, body, gotStatus, text) {
  record(kind, [status], gotStatus)
  if (body !== undefined && text !== body && gotStatus === status) {
    counts.wrong++
    if (wrongSamples.length < 10) wrongSamples.push(`${kind}: wrong body ${text.slice(0, 80)}`)
  }
}

async function expectFetch(kind, url, init, status, body) {
  try {
    const res = await fetch(url, init)
    check(kind, status, body, res.status, await res.text())
  } catch (error) {
    record(kind, [status], 'error', error.cause?.code ?? error.message)
  }
}

async function oversizedLoop(dispatcher) {
  const big = Buffer.alloc(256 * 1024, 'b')
  while (running()) await expectFetch('oversized', `${base}/echo`, { method: 'POST', body: big, dispatcher }, 413)
}

/** Multipart uploads: a file saved by the engine, or read into FormData (past 1 MiB: a temp file). */
async function uploadLoop(dispatcher) {
  while (running()) {
    const size = 1 + Math.floor(Math.random() * 3 * MiB)
    const form = new FormData()
    form.append('title', 'soak')
    form.append('file', new Blob([Buffer.alloc(size, 'f')]), 'soak.bin')
    await expectFetch('upload', `${base}${pick(['/upload', '/form-data'])}`, { method: 'POST', body: form, dispatcher }, 200, String(size))
    counts.uploads++
  }
}

/** Multipart uploads cut off mid-file: the saved or temp file must go. */
async function abortedUploadLoop() {
  const head = '--B\r\nContent-Disposition: form-data; name="file"; filename="cut.bin"\r\n\r\n'
  const partial = Buffer.concat([Buffer.from(head), Buffer.alloc(MiB + Math.floor(Math.random() * MiB), 'c')])
  while (running()) {
    const target = pick(['/upload', '/form-data'])
    const request = `POST ${target} HTTP/1.1\r\nhost: soak\r\ncontent-type: multipart/form-data; boundary=B\r\ncontent-length: ${4 * MiB}\r\n\r\n`
    await rawExchange(Buffer.concat([Buffer.from(request), partial]), 5000, { destroyAfter: 5 + Math.random() * 50 })
    counts.aborted++
    counts.cutUploads++
  }
}

async function neverLoop() {
  // Waits for the answer: the request timeout's 503.
  while (running()) await expectFetch('never', `${base}/never`, {}, 503)
}

/** A raw connection: writes `text`, then resolves with what it read when closed, or at `ms`. */
function rawExchange(text, ms, { destroyAfter } = {}) {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1')
    let received = ''
    const timer = setTimeout(() => socket.destroy(), ms)
    socket.on('connect', () => {
      socket.write(text)
      if (destroyAfter !== undefined) setTimeout(() => socket.destroy(), destroyAfter)
    })
    socket.on('data', (chunk) => (received += chunk.toString('latin1')))
    socket.on('error', () => {})
    socket.on('close', () => {
      clearTimeout(timer)
      resolve(received)
    })
  })
}

const statusOf = (transcript) => Number(/^HTTP\/1\.1 (\d{3})/.exec(transcript)?.[1] ?? 0) || 'none'

async function abortLoop() {
  while (running()) {
    await rawExchange('GET /never HTTP/1.1\r\nhost: soak\r\n\r\n', 5000, { destroyAfter: 5 + Math.random() * 20 })
    counts.aborted++
  }
}

// Malformed requests, and what each must get.
const MALFORMED = [
  { text: 'GET / HTTP/1.1\r\nhost: soak\r\ncontent-length: nope\r\n\r\n', status: 400 },
  { text: 'GET /ok HTTP/1.1\r\n\r\n', status: 400 },
  { text: 'GET /ok HTTP/1.1\r\nhost: soak\r\nbad header\r\n\r\n', status: 400 },
  { text: 'GET /ok HTTP/1.1\r\nhost: soak\r\ncontent-length: 1\r\ncontent-length: 2\r\n\r\nxx', status: 400 },
  // Both framings: the chunked one wins and the connection closes after it (RFC 9112 §6.1).
  { text: 'POST /echo HTTP/1.1\r\nhost: soak\r\ncontent-length: 5\r\ntransfer-encoding: chunked\r\n\r\n0\r\n\r\n', status: 200 },
]

async function malformedLoop() {
  while (running()) {
    const shape = pick(MALFORMED)
    const transcript = await rawExchange(shape.text, 5000)
    record('malformed', [shape.status], statusOf(transcript), JSON.stringify(shape.text.slice(0, 60)))
  }
}

async function trickleLoop() {
  while (running()) {
    const socket = net.connect(port, '127.0.0.1')
    let received = ''
    socket.on('data', (chunk) => (received += chunk.toString('latin1')))
    socket.on('error', () => {})
    const closed = once(socket, 'close')
    await once(socket, 'connect')
    socket.write('POST /echo HTTP/1.1\r\nhost: soak\r\ncontent-length: 1000\r\n\r\n')
    for (let i = 0; i < 100 && !socket.destroyed && received === ''; i++) {
      socket.write('t')
      await sleep(300)
    }
    socket.end()
    await Promise.race([closed, sleep(10_000)])
    socket.destroy()
    record('trickle', [408], statusOf(received))
  }
}

function h2Request(session, path, { method = 'GET', body, abortAfter } = {}) {
  return new Promise((resolve) => {
    const stream = session.request({ ':method': method, ':path': path })
    let status = 'none'
    let text = ''
    stream.on('response', (headers) => (status = headers[':status']))
    stream.setEncoding('utf8')
    stream.on('data', (chunk) => (text += chunk))
    stream.on('close', () => resolve({ status, text }))
    stream.on('error', () => {})
    if (abortAfter !== undefined) setTimeout(() => stream.close(http2.constants.NGHTTP2_CANCEL), abortAfter)
    stream.end(body)
  })
}

async function h2Loop() {
  while (running()) {
    const session = http2.connect(base)
    session.on('error', () => {})
    for (let i = 0; i < 200 && running() && !session.destroyed; i++) {
      const roll = Math.random()
      if (roll < 0.1) {
        await h2Request(session, '/never', { abortAfter: 10 })
        counts.aborted++
      } else if (roll < 0.2) {
        const { status } = await h2Request(session, '/echo', { method: 'POST', body: Buffer.alloc(128 * 1024) })
        record('h2 oversized', [413], Number(status))
      } else {
        const call = pick(CALLS)
        const { status, text } = await h2Request(session, call.path)
        check(`h2 ${call.path}`, call.status, call.body, Number(status), text)
      }
    }
    session.close()
  }
}

let baseline
let peak = 0
function report() {
  const now = rss()
  peak = Math.max(peak, now)
  const elapsed = ((Date.now() - started) / 1000).toFixed(0)
  const statuses = Object.entries(counts.byStatus).map(([s, n]) => `${s}:${n}`).join(' ')
  console.log(`[${elapsed.padStart(4)} s] requests ${counts.requests}, aborted ${counts.aborted}, wrong ${counts.wrong}, rss ${(now / MiB).toFixed(1)} MiB | ${statuses}`)
  if (now > RSS_CAP) {
    console.log(`server RSS passed the cap of ${RSS_CAP / MiB} MiB: stopping`)
    stopped = true
  }
}
const reporter = setInterval(report, REPORT_EVERY)
const baselineTimer = setTimeout(() => {
  baseline = rss()
  console.log(`baseline RSS after ${BASELINE_AT / 1000} s: ${(baseline / MiB).toFixed(1)} MiB`)
}, BASELINE_AT)

const h1 = new Agent({ connections: 16 })
const big = new Agent({ connections: 4 })
await Promise.all([
  ...Array.from({ length: 12 }, () => fetchLoop(h1)),
  ...Array.from({ length: 2 }, () => oversizedLoop(big)),
  ...Array.from({ length: 2 }, () => h2Loop()),
  ...Array.from({ length: 2 }, () => abortLoop()),
  ...Array.from({ length: 2 }, () => uploadLoop(big)),
  abortedUploadLoop(),
  neverLoop(),
  malformedLoop(),
  trickleLoop(),
])
clearInterval(reporter)
clearTimeout(baselineTimer)
report()
const final = rss()
await Promise.all([h1.close(), big.close()])
// The last cut uploads end within bodyTimeout; then nothing of them may be left.
await sleep(2000)
const left = [...readdirSync(saveDir), ...readdirSync(tempDir)]
const alive = died === null
server.kill()
rmSync(saveDir, { recursive: true, force: true })
rmSync(tempDir, { recursive: true, force: true })

const growth = baseline ? (final - baseline) / baseline : NaN
console.log('')
console.log(`requests ${counts.requests}, aborted ${counts.aborted}, wrong answers ${counts.wrong}`)
for (const sample of wrongSamples) console.log(`  wrong: ${sample}`)
console.log(`server ${alive ? 'alive' : died}; RSS baseline ${(baseline / MiB).toFixed(1)} MiB, final ${(final / MiB).toFixed(1)} MiB (${(growth * 100).toFixed(1)} %), peak ${(peak / MiB).toFixed(1)} MiB`)
console.log(`uploads ${counts.uploads}, cut mid-file ${counts.cutUploads}; files left behind: ${left.length}${left.length ? ` (${left.slice(0, 5).join(', ')})` : ''}`)
const passed = alive && !stopped && counts.wrong === 0 && growth < 0.1 && left.length === 0
console.log(passed ? 'soak passed' : 'soak FAILED')
process.exit(passed ? 0 : 1)
