// The armature CLI, run as users run it; the scaffold is installed against this
// checkout's packed @armature/core and its own test, build and start scripts run.
import { spawn, spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { npm, packable, packPackages, type Packed } from '../../__test__/pack.js'

const bin = fileURLToPath(new URL('../bin/armature.mjs', import.meta.url))
const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }

let work: string
beforeAll(() => {
  work = mkdtempSync(path.join(os.tmpdir(), 'armature-cli-'))
})
afterAll(() => rmSync(work, { recursive: true, force: true }))

function armature(args: string[], cwd = work) {
  const result = spawnSync(process.execPath, [bin, ...args], { cwd, encoding: 'utf8', timeout: 120_000 })
  return { code: result.status, stdout: result.stdout, stderr: result.stderr }
}

describe('armature', () => {
  it('prints help and its version', () => {
    for (const args of [['--help'], ['-h'], []]) {
      const help = armature(args)
      expect(help.code).toBe(0)
      expect(help.stdout).toContain('armature new <name>')
      expect(help.stdout).toContain('armature routes [entry]')
    }
    expect(armature(['--version'])).toMatchObject({ code: 0, stdout: `${version}\n` })
    expect(armature(['new', '--help'])).toMatchObject({ code: 0, stdout: expect.stringContaining('--template <basic|api>') })
    expect(armature(['routes', '--help'])).toMatchObject({ code: 0, stdout: expect.stringContaining('--json') })
  })

  it('exits 2 with a message for wrong usage', () => {
    const cases: [string[], string][] = [
      [['deploy'], "unknown command 'deploy'"],
      [['new'], 'armature new takes one project name'],
      [['new', 'My App'], "invalid project name 'My App'"],
      [['new', 'ok', '--template', 'spa'], "unknown template 'spa'"],
      [['new', 'ok', '--pm', 'bun'], "unknown package manager 'bun'"],
      [['new', 'ok', '--colour'], "Unknown option '--colour'"],
      [['routes', 'a.js', 'b.js'], 'at most one entry module'],
    ]
    for (const [args, message] of cases) {
      const result = armature(args)
      expect(result.code, args.join(' ')).toBe(2)
      expect(result.stderr, args.join(' ')).toContain(message)
    }
    expect(existsSync(path.join(work, 'ok'))).toBe(false)
  })

  it('refuses a directory that is not empty unless --force', () => {
    mkdirSync(path.join(work, 'taken'))
    writeFileSync(path.join(work, 'taken', 'notes.txt'), 'mine')
    const refused = armature(['new', 'taken', '--no-install'])
    expect(refused.code).toBe(1)
    expect(refused.stderr).toContain('is not empty')
    const forced = armature(['new', 'taken', '--no-install', '--force'])
    expect(forced.code).toBe(0)
    expect(readFileSync(path.join(work, 'taken', 'notes.txt'), 'utf8')).toBe('mine')
    expect(existsSync(path.join(work, 'taken', 'src', 'app.ts'))).toBe(true)
  })

  it('scaffolds every file a project needs, for the package manager asked', () => {
    const result = armature(['new', '@acme/shop', '--template', 'basic', '--pm', 'pnpm', '--no-install'])
    expect(result.code).toBe(0)
    expect(result.stdout).toContain('pnpm install')
    const dir = path.join(work, 'shop')
    for (const file of ['package.json', 'tsconfig.json', 'vitest.config.ts', 'src/app.ts', 'src/main.ts', 'test/app.test.ts', 'Dockerfile', '.gitignore', '.dockerignore', 'README.md']) {
      expect(existsSync(path.join(dir, file)), file).toBe(true)
    }
    const manifest = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as Record<string, any>
    expect(manifest).toMatchObject({ name: '@acme/shop', type: 'module', dependencies: { '@armature/core': `^${version}` } })
    expect(Object.keys(manifest.scripts)).toEqual(['dev', 'build', 'start', 'test'])
    expect(JSON.parse(readFileSync(path.join(dir, 'tsconfig.json'), 'utf8')).compilerOptions.strict).toBe(true)
    const dockerfile = readFileSync(path.join(dir, 'Dockerfile'), 'utf8')
    expect(dockerfile).toContain('pnpm install --frozen-lockfile --prod')
    expect(dockerfile).toContain('USER node')
    expect(dockerfile).toContain('HEALTHCHECK')
    expect(dockerfile.match(/^FROM /gm)).toHaveLength(3)
    expect(readFileSync(path.join(dir, 'src', 'app.ts'), 'utf8')).not.toContain('{{')
  })
})

describe.skipIf(!packable)('a scaffolded project against this checkout', () => {
  let packed: { core: Packed; platform: Packed }
  let app: string

  beforeAll(() => {
    packed = packPackages(work)
    expect(armature(['new', 'orders', '--template', 'api', '--no-install']).code).toBe(0)
    app = path.join(work, 'orders')
    // The packed core and its binary instead of the registry's; the rest from the registry.
    npm(['install', '--no-audit', '--no-fund', '--prefer-offline', packed.core.file, packed.platform.file], {
      cwd: app,
      stdio: 'pipe',
    })
  }, 240_000)

  it('passes its own tests and builds', () => {
    const test = spawnSync('npm', ['test'], { cwd: app, encoding: 'utf8', shell: process.platform === 'win32' })
    expect(test.status, test.stdout + test.stderr).toBe(0)
    expect(test.stdout).toMatch(/3 passed/)
    const build = spawnSync('npm', ['run', 'build'], { cwd: app, encoding: 'utf8', shell: process.platform === 'win32' })
    expect(build.status, build.stdout + build.stderr).toBe(0)
    expect(existsSync(path.join(app, 'dist', 'main.js'))).toBe(true)
  }, 120_000)

  /** Starts `command` in the app with PORT=0 and resolves to its URL once it listens. */
  async function serve(command: string, args: string[]) {
    // Its own process group, so the server under `npm start` can be stopped with it.
    const server = spawn(command, args, { cwd: app, env: { ...process.env, PORT: '0' }, stdio: ['ignore', 'pipe', 'inherit'], detached: true })
    const exited = new Promise<number | null>((resolve) => server.once('exit', resolve))
    const url = await new Promise<string>((resolve, reject) => {
      let out = ''
      server.stdout.on('data', (chunk: Buffer) => {
        out += chunk.toString()
        const match = /listening on (http:\/\/\S+)/.exec(out)
        if (match?.[1]) resolve(match[1])
      })
      void exited.then(() => reject(new Error(`${command} exited: ${out}`)))
    })
    return { server, exited, url }
  }

  // Stopping npm and its child together needs a process group, which Windows does not have.
  it.skipIf(process.platform === 'win32')('answers requests under npm start', async () => {
    const { server, exited, url } = await serve('npm', ['start'])
    try {
      const health = await fetch(`${url}/health`)
      expect(health.status).toBe(200)
      expect(await health.json()).toEqual({ status: 'ok' })
      const created = await fetch(`${url}/api/v1/users`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'Ada', email: 'ada@example.com' }),
      })
      expect(created.status).toBe(201)
      expect(await created.json()).toEqual({ id: '1', name: 'Ada', email: 'ada@example.com' })
    } finally {
      process.kill(-(server.pid as number), 'SIGTERM')
      await exited
    }
  }, 60_000)

  it.skipIf(process.platform === 'win32')('closes gracefully on SIGTERM, as in a container', async () => {
    const { server, exited, url } = await serve(process.execPath, ['dist/main.js'])
    expect((await fetch(`${url}/`)).status).toBe(404)
    server.kill('SIGTERM')
    expect(await exited).toBe(0)
  }, 60_000)

  it('lists its routes as a table and as JSON', () => {
    const table = armature(['routes'], app)
    expect(table.code, table.stderr).toBe(0)
    expect(table.stdout).toMatch(/^METHOD\s+PATH\s+MIDDLEWARE\s+HANDLER$/m)
    expect(table.stdout).toMatch(/^GET\s+\/api\/v1\/users\s+1\s+js$/m)
    expect(table.stdout).toMatch(/^GET\s+\/health\s+0\s+fixed$/m)
    expect(table.stdout).toContain('5 routes')
    const json = armature(['routes', 'dist/app.js', '--json'], app)
    expect(JSON.parse(json.stdout)).toContainEqual({ methods: ['DELETE'], path: '/api/v1/users/:id', middleware: 1, handler: 'js' })
    const typescript = armature(['routes', 'src/app.ts'], app)
    expect(typescript.code, typescript.stderr).toBe(0)
    const missing = armature(['routes', 'nope.js'], app)
    expect(missing.code).toBe(1)
    expect(missing.stderr).toContain('no such module')
  })
})
