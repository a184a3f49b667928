// Armature beside its peers: every server pinned to CPU 0, wrk pinned to CPU 1,
// rounds interleaved, medians reported as ratios to Fastify in the same round.
// Writes benchmark/RESULTS.md; exits non-zero when a server answers wrongly.
//   ROUNDS=3 DURATION=5 npm run bench      (ONLY=armature,fastify and SCENARIOS=plaintext,upload64k to narrow)
import { execFileSync, spawn, spawnSync } from 'node:child_process'
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, writeFileSync } from 'node:fs'
import http from 'node:http'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { isDeepStrictEqual } from 'node:util'

const here = path.dirname(fileURLToPath(import.meta.url))
const root = path.dirname(here)
const ROUNDS = Number(process.env.ROUNDS ?? 3)
const DURATION = Number(process.env.DURATION ?? 5)
const CONNECTIONS = 64
const RSS_CONNECTIONS = 1000

const echoBody = JSON.stringify({
  name: 'armature',
  ...Object.fromEntries(Array.from({ length: 23 }, (_, i) => [`key${String(i).padStart(2, '0')}`, `value ${i} `.padEnd(36, 'x')])),
})

const SCENARIOS = {
  plaintext: { method: 'GET', path: '/', type: 'text/plain', text: 'Hello, World!' },
  json: { method: 'GET', path: '/json', type: 'application/json', json: { message: 'Hello, World!' } },
  params: { method: 'GET', path: '/users/123?fields=name,email', type: 'application/json', json: { id: '123', fields: ['name', 'email'] } },
  echo: { method: 'POST', path: '/echo', body: echoBody, type: 'application/json', json: { count: 24, name: 'armature' } },
  rust: { method: 'GET', path: '/rust', type: 'text/plain', text: 'Hello, World!' },
  middleware3: { method: 'GET', path: '/mw', type: 'text/plain', text: 'Hello, World!' },
  native5: { method: 'GET', path: '/native', type: 'text/plain', text: 'Hello, World!' },
  // A 64 KiB upload read through req.body: the Buffer JS gets and may write into.
  // 100 MiB streamed from a Node Readable, a few clients at a time: MB/s, and the server's memory after.
  download: { method: 'GET', path: '/download', type: 'application/octet-stream', bytes: 100 * 1024 * 1024, connections: 4 },
  // 100 MiB streamed in, counted by the handler as it arrives: MB/s.
  ingest: { method: 'POST', path: '/ingest', uploadBytes: 100 * 1024 * 1024, contentType: 'application/octet-stream', type: 'text/plain', text: String(100 * 1024 * 1024), connections: 4 },
  upload64k: { method: 'POST', path: '/upload', body: 'x'.repeat(64 * 1024), contentType: 'application/octet-stream', type: 'text/plain', text: String(64 * 1024) },
  // A 64 KiB file from disk, as each framework's own static-file serving sends it (Armature: Static; Fastify: @fastify/static; node:http: fs.createReadStream).
  static64k: { method: 'GET', path: '/static/file64k.bin', type: 'application/octet-stream', bytes: 64 * 1024 },
  // A 100 MiB file from disk, a few clients at a time: MB/s.
  static100m: { method: 'GET', path: '/static/file100m.bin', type: 'application/octet-stream', bytes: 100 * 1024 * 1024, connections: 4 },
}
// Forms: 20 small fields as multipart and as URL-encoded, and one 10 MiB file.
const FORM_FIELDS = Array.from({ length: 20 }, (_, i) => [`f${String(i).padStart(2, '0')}`, `value ${i}`])
const MULTIPART = 'multipart/form-data; boundary=armatureBenchBoundary'
const part = (name, value) => `--armatureBenchBoundary\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`
const FILE_HEAD = '--armatureBenchBoundary\r\nContent-Disposition: form-data; name="file"; filename="upload.bin"\r\nContent-Type: application/octet-stream\r\n\r\n'
const FILE_TAIL = '\r\n--armatureBenchBoundary--\r\n'
const FILE_BYTES = 10 * 1024 * 1024
Object.assign(SCENARIOS, {
  form20multi: { method: 'POST', path: '/form-multipart', body: FORM_FIELDS.map(([n, v]) => part(n, v)).join('') + '--armatureBenchBoundary--\r\n', contentType: MULTIPART, type: 'application/json', json: { count: 20, f00: 'value 0' } },
  form20url: { method: 'POST', path: '/form-urlencoded', body: new URLSearchParams(FORM_FIELDS).toString(), contentType: 'application/x-www-form-urlencoded', type: 'application/json', json: { count: 20, f00: 'value 0' } },
  // One 10 MiB file read into memory by the handler (Armature: part.bytes(); Fastify: part.toBuffer()): MB/s.
  upload10m: { method: 'POST', path: '/multipart', uploadBytes: FILE_BYTES, wrap: [FILE_HEAD, FILE_TAIL], contentType: MULTIPART, type: 'text/plain', text: String(FILE_BYTES), connections: 4 },
  // The same saved to a new file and removed (Armature: part.saveTo(); Fastify: pipeline to fs.createWriteStream).
  save10m: { method: 'POST', path: '/multipart-save', uploadBytes: FILE_BYTES, wrap: [FILE_HEAD, FILE_TAIL], contentType: MULTIPART, type: 'text/plain', text: String(FILE_BYTES), connections: 4 },
})
const FORMS = ['form20multi', 'form20url', 'upload10m', 'save10m']
const COMMON = ['plaintext', 'json', 'params', 'echo']
const node = (file) => [process.execPath, path.join(here, 'servers', file)]
const SERVERS = [
  { name: 'armature', command: node('armature.mjs'), scenarios: [...COMMON, 'rust', 'middleware3', 'native5', 'upload64k', 'download', 'ingest', 'static64k', 'static100m', ...FORMS] },
  { name: 'uws', command: node('uws.mjs'), scenarios: COMMON },
  { name: 'node:http', command: node('node-http.mjs'), scenarios: [...COMMON, 'download', 'ingest', 'static64k', 'static100m'] },
  { name: 'fastify', command: node('fastify.mjs'), scenarios: [...COMMON, 'download', 'ingest', 'static64k', 'static100m', ...FORMS] },
  { name: 'express', command: node('express.mjs'), scenarios: COMMON },
  { name: 'hono', command: node('hono.mjs'), scenarios: COMMON },
  { name: 'hyper', command: [path.join(root, 'target/release/examples/hyper_baseline')], scenarios: ['rust'] },
]
  .filter((s) => !process.env.ONLY || process.env.ONLY.split(',').includes(s.name))
  .map((s) => ({ ...s, scenarios: s.scenarios.filter((name) => !process.env.SCENARIOS || process.env.SCENARIOS.split(',').includes(name)) }))

function sh(command, args, options = {}) {
  return execFileSync(command, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], ...options })
}

function prepare() {
  if (!existsSync(path.join(here, 'node_modules'))) sh('npm', ['ci', '--no-audit', '--no-fund'], { cwd: here })
  try {
    sh('which', ['wrk'])
  } catch {
    console.log('installing wrk from Debian packages')
    sh('apt-get', ['update', '-qq'])
    sh('apt-get', ['install', '-y', '-qq', 'wrk'])
  }
  if (SERVERS.some((s) => s.name === 'hyper')) {
    sh('cargo', ['build', '--release', '--quiet', '-p', 'armature-engine', '--example', 'hyper_baseline'], { cwd: root })
  }
}

let nextPort = 18000
async function startServer(server) {
  const port = nextPort++
  // stderr to a file: the servers' own output (Armature's request log among it) stays off the terminal.
  const errors = openSync(path.join(luaDir, `${server.name.replace(/\W/g, '')}.stderr`), 'a')
  const child = spawn('taskset', ['-c', '0', ...server.command], {
    env: { ...process.env, PORT: String(port), NODE_ENV: 'production', STATIC_DIR: staticDir, SAVE_DIR: saveDir },
    stdio: ['ignore', 'pipe', errors],
  })
  closeSync(errors)
  await new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`${server.name} exited with ${code}`)))
    child.stdout.on('data', (chunk) => chunk.toString().includes('ready') && resolve())
  })
  return { child, port }
}

async function stopServer({ child }) {
  if (child.exitCode !== null) return
  child.kill('SIGKILL')
  await new Promise((resolve) => child.once('exit', resolve))
}

/** One request on a fresh connection: wrk runs synchronously, so pooled sockets would go stale. */
function request(port, s) {
  return new Promise((resolve, reject) => {
    const upload = s.uploadBytes ? Buffer.alloc(s.uploadBytes, 'u') : undefined
    const body = upload && s.wrap ? Buffer.concat([Buffer.from(s.wrap[0]), upload, Buffer.from(s.wrap[1])]) : upload ?? s.body
    const headers = body ? { 'content-type': s.contentType ?? 'application/json', 'content-length': Buffer.byteLength(body) } : {}
    const req = http.request({ host: '127.0.0.1', port, method: s.method, path: s.path, agent: false, headers }, (res) => {
      let text = ''
      let bytes = 0
      if (!s.bytes) res.setEncoding('utf8')
      res.on('data', (chunk) => (s.bytes ? (bytes += chunk.length) : (text += chunk)))
      res.on('end', () => resolve({ status: res.statusCode, type: res.headers['content-type'] ?? '', text, bytes }))
    })
    req.on('error', reject)
    req.end(body)
  })
}

/** Returns what is wrong with the server's answer to `scenario`, or null. */
async function check(port, scenario) {
  const s = SCENARIOS[scenario]
  let res
  try {
    res = await request(port, s)
  } catch (error) {
    return `request failed: ${error.message}`
  }
  const parsed = () => {
    try {
      return JSON.parse(res.text)
    } catch {
      return undefined
    }
  }
  const bodyOk = s.bytes ? res.bytes === s.bytes : s.json ? isDeepStrictEqual(parsed(), s.json) : res.text === s.text
  if (res.status !== 200 || !res.type.startsWith(s.type) || !bodyOk) return `${res.status} ${res.type} ${res.text.slice(0, 120)}`
  return null
}

const luaDir = mkdtempSync(path.join(os.tmpdir(), 'armature-bench-'))
// The files the static scenarios serve.
const staticDir = path.join(luaDir, 'static')
mkdirSync(staticDir)
writeFileSync(path.join(staticDir, 'file64k.bin'), Buffer.alloc(64 * 1024, 's'))
writeFileSync(path.join(staticDir, 'file100m.bin'), Buffer.alloc(100 * 1024 * 1024, 'S'))
// Where the save10m scenario's uploads go (each removed once saved).
const saveDir = path.join(luaDir, 'saved')
mkdirSync(saveDir)

/** The disk's own write speed where uploads are saved, by dd: to the page cache as saves go, and synced. */
function ddSpeed() {
  const target = path.join(saveDir, 'dd.bin')
  const speed = (flags) => {
    const out = spawnSync('dd', ['if=/dev/zero', `of=${target}`, 'bs=1M', 'count=512', ...flags], { encoding: 'utf8' }).stderr
    return /, ([\d.]+ [GMk]?B\/s)/.exec(out)?.[1] ?? '?'
  }
  try {
    return `dd 512 MiB: ${speed([])} to the page cache, ${speed(['conv=fdatasync'])} synced`
  } finally {
    execFileSync('rm', ['-f', target])
  }
}
/** User + system CPU time of process `pid` (all its threads) so far, in µs. */
function cpuMicros(pid) {
  // Fields 14 and 15 of /proc/<pid>/stat, counted after the command name's closing parenthesis.
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ')
  return ((Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS) * 1e6
}
const CLOCK_TICKS = Number(sh('getconf', ['CLK_TCK']).trim())

function wrk(port, scenario, seconds, pid) {
  const s = SCENARIOS[scenario]
  const args = ['-c', '1', 'wrk', '-t1', `-c${s.connections ?? CONNECTIONS}`, `-d${seconds}s`, '--latency']
  if (s.method === 'POST') {
    const script = path.join(luaDir, `${scenario}.lua`)
    // JSON's string escapes are Lua's too (\r\n included, which a Lua long string would rewrite).
    const upload = `string.rep("u", ${s.uploadBytes})`
    const body = s.uploadBytes ? (s.wrap ? `${JSON.stringify(s.wrap[0])} .. ${upload} .. ${JSON.stringify(s.wrap[1])}` : upload) : JSON.stringify(s.body)
    writeFileSync(script, `wrk.method = "POST"\nwrk.body = ${body}\nwrk.headers["Content-Type"] = "${s.contentType ?? 'application/json'}"\n`)
    args.push('-s', script)
  }
  args.push(`http://127.0.0.1:${port}${s.path}`)
  const cpuBefore = cpuMicros(pid)
  const out = sh('taskset', args)
  const cpu = cpuMicros(pid) - cpuBefore
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1])
  const p99 = /99%\s+([\d.]+)(us|ms|s)/.exec(out)
  const p99ms = p99 ? Number(p99[1]) * { us: 0.001, ms: 1, s: 1000 }[p99[2]] : NaN
  const errors = /Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1]
  const requests = Number(/(\d+) requests in/.exec(out)?.[1])
  const transfer = /Transfer\/sec:\s+([\d.]+)(B|KB|MB|GB)/.exec(out)
  const mbps = transfer ? Number(transfer[1]) * { B: 1 / 2 ** 20, KB: 1 / 1024, MB: 1, GB: 1024 }[transfer[2]] : NaN
  const rssMiB = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]) / 1024
  return { rps, p99ms, errors: Number(errors ?? 0), cpuPerRequest: cpu / requests, mbps, rssMiB }
}

/** Opens `count` keep-alive connections, one request each, and returns the server's peak RSS in MiB. */
async function peakRss(server) {
  const running = await startServer(server)
  const path0 = SCENARIOS[server.scenarios[0]].path
  const sockets = await Promise.all(
    Array.from({ length: RSS_CONNECTIONS }, () => new Promise((resolve, reject) => {
      const socket = net.connect(running.port, '127.0.0.1', () => socket.write(`GET ${path0} HTTP/1.1\r\nhost: x\r\n\r\n`))
      socket.once('data', () => resolve(socket))
      socket.once('error', reject)
    })),
  )
  const status = readFileSync(`/proc/${running.child.pid}/status`, 'utf8')
  const kb = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1])
  for (const socket of sockets) socket.destroy()
  await stopServer(running)
  return kb / 1024
}

const median = (xs) => {
  const sorted = xs.filter(Number.isFinite).sort((a, b) => a - b)
  if (sorted.length === 0) return NaN
  const mid = sorted.length >> 1
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
}

async function main() {
  prepare()
  const wrong = []
  const results = {} // results[server][scenario] = [{ rps, p99ms }]
  for (let round = 1; round <= ROUNDS; round++) {
    for (const server of SERVERS) {
      const running = await startServer(server)
      try {
        for (const scenario of server.scenarios) {
          if (round === 1) {
            const problem = await check(running.port, scenario)
            if (problem) {
              wrong.push(`${server.name} ${scenario}: ${problem}`)
              continue
            }
          }
          if (wrong.some((w) => w.startsWith(`${server.name} ${scenario}:`))) continue
          wrk(running.port, scenario, 1, running.child.pid)
          const result = wrk(running.port, scenario, DURATION, running.child.pid)
          if (result.errors > 0) wrong.push(`${server.name} ${scenario}: ${result.errors} non-2xx answers under load`)
          ;((results[server.name] ??= {})[scenario] ??= []).push(result)
          const moved = SCENARIOS[scenario].bytes ?? SCENARIOS[scenario].uploadBytes
          const extra = moved ? `  ${((result.rps * moved) / 2 ** 20).toFixed(0)} MiB/s  RSS ${result.rssMiB.toFixed(1)} MiB` : ''
          console.log(`round ${round} ${server.name.padEnd(9)} ${scenario.padEnd(11)} ${result.rps.toFixed(0).padStart(7)} req/s  p99 ${result.p99ms.toFixed(2)} ms  CPU ${result.cpuPerRequest.toFixed(1)} µs/req${extra}`)
        }
      } finally {
        await stopServer(running)
      }
    }
  }
  const rss = {}
  for (const server of SERVERS) rss[server.name] = await peakRss(server)
  writeResults(results, rss, wrong)
  if (wrong.length) {
    console.error(`wrong answers:\n${wrong.join('\n')}`)
    process.exit(1)
  }
}

function ratio(results, server, scenario, base, baseScenario = scenario) {
  const a = results[server]?.[scenario] ?? []
  const b = results[base]?.[baseScenario] ?? []
  return median(a.map((r, i) => (b[i] ? r.rps / b[i].rps : NaN)))
}

function version(pkg) {
  try {
    return JSON.parse(readFileSync(path.join(here, 'node_modules', pkg, 'package.json'), 'utf8')).version
  } catch {
    return '?'
  }
}

function writeResults(results, rss, wrong) {
  const fmt = (x, digits = 2) => (Number.isFinite(x) ? x.toFixed(digits) : '–')
  const lines = [
    '# Benchmark results',
    '',
    `Generated by \`npm run bench\` on ${new Date().toISOString().slice(0, 10)}: ${os.cpus()[0]?.model ?? 'unknown CPU'}, ${os.cpus().length} cores, ${os.platform()} ${os.release()}, Node ${process.version}.`,
    `Each server pinned to CPU 0 (\`taskset -c 0\`), \`wrk -t1 -c${CONNECTIONS} -d${DURATION}s\` pinned to CPU 1 after a 1 s warm-up; ${ROUNDS} interleaved rounds; medians.`,
    'Ratios are to Fastify measured in the same round (median of the per-round ratios); Armature-only rows say what they compare with.',
    "CPU µs/req is the server process's user + system time (all threads, from `/proc/<pid>/stat`) over the timed run, divided by the requests answered: unlike req/s it does not depend on whether wrk saturates.",
    '',
    `Versions: fastify ${version('fastify')} (@fastify/static ${version('@fastify/static')}, @fastify/multipart ${version('@fastify/multipart')}, @fastify/formbody ${version('@fastify/formbody')}), express ${version('express')}, hono ${version('hono')} (@hono/node-server ${version('@hono/node-server')}), uWebSockets.js ${version('@trufflesuite/uws-js-unofficial')}.`,
    ...(SERVERS.some((server) => server.scenarios.includes('save10m')) ? ['', `save10m writes where the OS temp folder is; ${ddSpeed()}.`] : []),
    '',
    '| server | scenario | req/s | × Fastify | p99 ms | CPU µs/req |',
    '|---|---|---:|---:|---:|---:|',
  ]
  for (const server of SERVERS) {
    for (const scenario of server.scenarios) {
      const runs = results[server.name]?.[scenario]
      if (!runs) continue
      const rps = median(runs.map((r) => r.rps))
      const p99 = median(runs.map((r) => r.p99ms))
      const cpu = median(runs.map((r) => r.cpuPerRequest))
      let versus = fmt(ratio(results, server.name, scenario, 'fastify'))
      if (scenario === 'rust') versus = `${fmt(ratio(results, server.name, 'rust', 'hyper'))} × hyper`
      if (scenario === 'download' || scenario === 'ingest' || scenario === 'static100m') versus = `${fmt(ratio(results, server.name, scenario, 'node:http'))} × node:http`
      if (scenario === 'middleware3' || scenario === 'native5' || scenario === 'upload64k') versus = `${fmt(ratio(results, server.name, scenario, 'armature', 'plaintext'))} × plaintext`
      const moved = SCENARIOS[scenario].bytes ?? SCENARIOS[scenario].uploadBytes
      const rate = moved ? ` (${fmt((rps * moved) / 2 ** 20, 0)} MiB/s, RSS after ${fmt(median(runs.map((r) => r.rssMiB)), 1)} MiB)` : ''
      lines.push(`| ${server.name} | ${scenario}${rate} | ${fmt(rps, rps < 100 ? 1 : 0)} | ${versus} | ${fmt(p99)} | ${fmt(cpu, 1)} |`)
    }
  }
  lines.push('', `Peak RSS (VmHWM) after ${RSS_CONNECTIONS} keep-alive connections, MiB:`, '', '| server | MiB |', '|---|---:|')
  for (const [name, mib] of Object.entries(rss)) lines.push(`| ${name} | ${fmt(mib, 1)} |`)
  if (wrong.length) lines.push('', '## Wrong answers (not timed)', '', ...wrong.map((w) => `- ${w}`))
  writeFileSync(path.join(here, 'RESULTS.md'), `${lines.join('\n')}\n`)
  console.log(lines.join('\n'))
}

await main()
