#!/usr/bin/env node
// Finds, or installs, the outside tools the tests drive, and writes where
// they are to node_modules/.cache/armature-tools.json, which the tests read
// (__test__/tools.ts). Run by `npm test` before vitest; idempotent, and a
// tool already found costs one lookup.
// - curl: the one on PATH; else Debian's packages (curl, libcurl4),
//   downloaded with apt-get and unpacked under node_modules/.cache, so no
//   root is needed and nothing is installed on the machine.
// - the JSON-Schema-Test-Suite: from the source distribution of PyPI's
//   `jsonschema` package, which ships it under json/, at a pinned version.
import { execFileSync } from 'node:child_process'
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)))
const cache = path.join(root, 'node_modules', '.cache')
const manifest = path.join(cache, 'armature-tools.json')

/** The absolute path of `command` on PATH, or undefined. */
function which(command) {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    const candidate = path.join(dir, command)
    if (dir !== '' && existsSync(candidate)) return candidate
  }
  return undefined
}

function run(command, args, options = {}) {
  execFileSync(command, args, { stdio: 'inherit', ...options })
}

/** curl, from PATH or from Debian's packages. */
function curl() {
  const found = which('curl')
  if (found !== undefined) return { command: found }
  const unpacked = path.join(cache, 'armature-curl')
  const binary = path.join(unpacked, 'usr', 'bin', 'curl')
  const env = { LD_LIBRARY_PATH: path.join(unpacked, 'usr', 'lib', `${process.arch === 'arm64' ? 'aarch64' : 'x86_64'}-linux-gnu`) }
  if (existsSync(binary)) return { command: binary, env }
  if (which('apt-get') === undefined) {
    throw new Error('curl is missing and there is no apt-get to install it: install curl, then run npm test again')
  }
  console.log(`downloading curl's Debian packages into ${path.relative(root, unpacked)}`)
  const debs = path.join(unpacked, 'debs')
  mkdirSync(debs, { recursive: true })
  const download = () => run('apt-get', ['download', 'curl', 'libcurl4'], { cwd: debs })
  try {
    download()
  } catch (error) {
    // A fresh container has no package lists yet; only root can fetch them.
    if (process.getuid?.() !== 0) throw error
    run('apt-get', ['update'])
    download()
  }
  for (const deb of readdirSync(debs).filter((name) => name.endsWith('.deb'))) {
    run('dpkg-deb', ['-x', path.join(debs, deb), unpacked])
  }
  return { command: binary, env }
}

const JSONSCHEMA = '4.25.1'

/** The JSON-Schema-Test-Suite's folder (with tests/ and remotes/). */
function jsonSchemaSuite() {
  const unpacked = path.join(cache, `armature-json-schema-suite-${JSONSCHEMA}`)
  const suite = path.join(unpacked, `jsonschema-${JSONSCHEMA}`, 'json')
  if (existsSync(path.join(suite, 'tests', 'draft2020-12'))) return { path: suite }
  console.log(`downloading the JSON-Schema-Test-Suite (PyPI jsonschema ${JSONSCHEMA}) into ${path.relative(root, unpacked)}`)
  mkdirSync(unpacked, { recursive: true })
  const python = process.platform === 'win32' ? 'python' : 'python3'
  run(python, ['-m', 'pip', 'download', '--quiet', '--disable-pip-version-check', '--no-deps', '--no-binary', ':all:', `jsonschema==${JSONSCHEMA}`, '-d', unpacked])
  run('tar', ['xzf', path.join(unpacked, `jsonschema-${JSONSCHEMA}.tar.gz`), '-C', unpacked, `jsonschema-${JSONSCHEMA}/json`])
  return { path: suite }
}

mkdirSync(cache, { recursive: true })
const tools = { curl: curl(), jsonSchemaSuite: jsonSchemaSuite() }
writeFileSync(manifest, `${JSON.stringify(tools, null, 2)}\n`)
console.log(`test tools: ${Object.entries(tools).map(([name, tool]) => `${name} ${tool.command ?? tool.path}`).join(', ')}`)
