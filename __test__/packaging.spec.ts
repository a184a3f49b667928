// The packages as npm publishes them, installed where no Rust toolchain exists.
import { execFileSync, spawnSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { linkedFromPublished } from './markdown.js'
import { npm, packable, packPackages, pathWithoutRust, platformKey, root, windows, type Packed } from './pack.js'

const key = platformKey()
const binary = `armature.${key}.node`
const version = (JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { version: string }).version

/**
 * Budgets for what users download. The core tarball (~90 KiB) is mostly the JS layer, its types and the docs.
 * The release binary was 5.7 MB before JSON Schema validation; the jsonschema crate (with regex's Unicode
 * tables, fancy-regex and num-bigint, which it needs) made it 10.5 MB.
 */
const CORE_TARBALL_MAX = 128 * 1024
const BINARY_MAX = 12 * 1024 * 1024

describe.skipIf(!packable)(`the published packages (${key})`, () => {
  let work: string
  let core: Packed
  let platform: Packed
  const env = { ...process.env, PATH: pathWithoutRust(), npm_config_audit: 'false', npm_config_fund: 'false' }

  beforeAll(() => {
    work = mkdtempSync(path.join(os.tmpdir(), 'armature-packaging-'))
    ;({ core, platform } = packPackages(work))
  }, 120_000)

  afterAll(() => rmSync(work, { recursive: true, force: true }))

  it('ships the loader, types, JS layer, licence, README and the pages it links to only', () => {
    const files = core.files.map((f) => f.path).sort()
    for (const file of files) {
      expect(file).toMatch(/^(dist\/(generated\/)?[a-z-]+\.(js|d\.ts|d\.mts)|index\.js|index\.d\.ts|LICENSE|README\.md|docs\/[a-z0-9-]+\.md|benchmark\/RESULTS\.md|package\.json)$/)
    }
    // A reader of the installed README finds every page it links to, for the version installed.
    for (const linked of linkedFromPublished()) expect(files, linked).toContain(linked)
    for (const needed of ['dist/index.js', 'dist/index.d.ts', 'dist/testing.js', 'dist/testing.d.ts', 'index.js', 'index.d.ts', 'LICENSE', 'README.md', 'package.json']) {
      expect(files).toContain(needed)
    }
    expect(core.size).toBeLessThan(CORE_TARBALL_MAX)
    expect(platform.files.map((f) => f.path).sort()).toEqual(['LICENSE', 'README.md', binary, 'package.json'].sort())
    expect(platform.files.find((f) => f.path === binary)?.size).toBeLessThan(BINARY_MAX)
  })

  it('depends on every platform package at its own version, with nothing to build', () => {
    const manifest = JSON.parse(readFileSync(path.join(work, 'staged', 'core', 'package.json'), 'utf8')) as Record<string, unknown>
    expect(manifest.optionalDependencies).toEqual({
      '@armature/core-linux-x64-gnu': version,
      '@armature/core-linux-arm64-gnu': version,
      '@armature/core-darwin-x64': version,
      '@armature/core-darwin-arm64': version,
      '@armature/core-win32-x64-msvc': version,
    })
    expect(manifest.scripts).toBeUndefined()
    expect(manifest.engines).toEqual({ node: '>=20' })
    const platformManifest = JSON.parse(readFileSync(path.join(work, 'staged', key, 'package.json'), 'utf8')) as Record<string, unknown>
    expect(platformManifest).toMatchObject({ name: `@armature/core-${key}`, version, main: binary, files: [binary] })
  })

  it('installs from the tarballs without Rust, starts, answers GET / and closes', () => {
    expect(pathWithoutRust().split(path.delimiter).some((dir) => existsSync(path.join(dir, windows ? 'cargo.exe' : 'cargo')))).toBe(false)
    const app = path.join(work, 'app')
    mkdirSync(app)
    writeFileSync(path.join(app, 'package.json'), JSON.stringify({ name: 'app', private: true, type: 'module' }))
    npm(['install', '--omit=optional', core.file, platform.file], { cwd: app, env })
    expect(readdirSync(path.join(app, 'node_modules', '@armature', 'core')).some((f) => f.endsWith('.node'))).toBe(false)
    writeFileSync(
      path.join(app, 'main.mjs'),
      `import { App, get } from '@armature/core'
const server = await App.new().route('/', get(() => 'Hello from a packed install')).run({ port: 0 })
const res = await fetch(server.url + '/')
console.log(JSON.stringify({ status: res.status, type: res.headers.get('content-type'), body: await res.text() }))
await server.close()
`,
    )
    const out = execFileSync(process.execPath, ['main.mjs'], { cwd: app, env, encoding: 'utf8', timeout: 30_000 })
    expect(JSON.parse(out)).toEqual({ status: 200, type: 'text/plain; charset=utf-8', body: 'Hello from a packed install' })
  }, 120_000)

  it('type-checks a user file with tsc --strict against the published types, and catches a mistake', () => {
    const app = path.join(work, 'app')
    /** tsc's exit status and output for `file`, checked as a strict user project would. */
    const tsc = (file: string) => {
      const args = ['--strict', '--noEmit', '--module', 'nodenext', '--moduleResolution', 'nodenext', '--target', 'es2022']
      args.push('--types', 'node', '--typeRoots', path.join(root, 'node_modules', '@types'), file)
      const result = spawnSync(process.execPath, [path.join(root, 'node_modules', 'typescript', 'bin', 'tsc'), ...args], {
        cwd: app,
        encoding: 'utf8',
      })
      return { status: result.status, output: result.stdout + result.stderr }
    }
    writeFileSync(
      path.join(app, 'ok.mts'),
      `import { App, HttpError, HttpResponse, get, scope, type Middleware } from '@armature/core'
const timing: Middleware = async (req, next) => (await next(req)).header('x-path', req.path)
const app = App.new({ limits: { bodySize: 1024 } })
  .data({ greeting: 'hello' })
  .wrap(timing)
  .route('/users/:id', get((req) => ({ id: req.param('id'), greeting: req.data.greeting })))
  .service(scope('/api').route('/fail', get(() => { throw new HttpError(418, 'no coffee') })))
  .route('/fixed', get(HttpResponse.json({ ok: true }, { status: 201 })))
const server = await app.run({ port: 0 })
const port: number = server.port
await server.close({ timeout: port })
`,
    )
    expect(tsc('ok.mts')).toEqual({ status: 0, output: '' })
    writeFileSync(path.join(app, 'wrong.mts'), `import { HttpResponse } from '@armature/core'\nHttpResponse.text(42)\n`)
    const wrong = tsc('wrong.mts')
    expect(wrong.status).not.toBe(0)
    expect(wrong.output).toContain("error TS2345: Argument of type 'number' is not assignable to parameter of type 'string'")
  }, 60_000)

  it('names the platform, what it tried and what to do when the binary is missing', () => {
    const bare = path.join(work, 'bare')
    mkdirSync(bare)
    writeFileSync(path.join(bare, 'package.json'), JSON.stringify({ name: 'bare', private: true }))
    npm(['install', '--omit=optional', core.file], { cwd: bare, env })
    let message = ''
    try {
      execFileSync(process.execPath, ['-e', "require('@armature/core')"], { cwd: bare, env, encoding: 'utf8', stdio: 'pipe' })
    } catch (error) {
      message = String((error as { stderr?: string }).stderr)
    }
    expect(message).toContain(`cannot load its native binary on ${key}`)
    expect(message).toContain(`@armature/core-${key}`)
    expect(message).toContain(`./armature.${key}.node`)
    expect(message).toContain('npm install')
    expect(message).toContain('ERR_ARMATURE_NO_BINARY')
  }, 120_000)
})
