// `armature new`: copies a template into a new directory, fills in its
// placeholders and installs its dependencies.
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { CliError } from './errors.mjs'

const templates = fileURLToPath(new URL('../templates/', import.meta.url))
const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'))

/** How each package manager installs and runs scripts, in the project and in its Dockerfile. */
const MANAGERS = {
  npm: { install: 'npm install', run: 'npm run', ci: 'npm ci', ciProd: 'npm ci --omit=dev', lock: 'package-lock.json' },
  pnpm: {
    install: 'pnpm install',
    run: 'pnpm',
    ci: 'corepack enable && pnpm install --frozen-lockfile',
    ciProd: 'corepack enable && pnpm install --frozen-lockfile --prod',
    lock: 'pnpm-lock.yaml',
  },
  yarn: {
    install: 'yarn install',
    run: 'yarn',
    ci: 'corepack enable && yarn install --frozen-lockfile',
    ciProd: 'corepack enable && yarn install --frozen-lockfile --production',
    lock: 'yarn.lock',
  },
}

/** npm's rules for a package name, which the project name becomes. */
const NAME = /^(?:@[a-z0-9][a-z0-9._~-]*\/)?[a-z0-9][a-z0-9._~-]*$/

function checkName(name) {
  if (name.length > 214 || !NAME.test(name)) {
    throw new CliError(
      `invalid project name '${name}': use lower-case letters, digits, '-', '.' and '_', starting with a letter or digit (an npm package name, e.g. my-app or @acme/api)`,
      2,
    )
  }
}

function fill(text, values) {
  return text.replace(/\{\{(\w+)\}\}/g, (match, key) => (key in values ? values[key] : match))
}

/** Copies `from` into `to`, filling placeholders; `_name` becomes `.name` (npm drops .gitignore from packages). */
function copyTemplate(from, to, values) {
  for (const entry of readdirSync(from, { withFileTypes: true })) {
    const source = path.join(from, entry.name)
    const target = path.join(to, entry.name.startsWith('_') ? `.${entry.name.slice(1)}` : entry.name)
    if (entry.isDirectory()) {
      mkdirSync(target, { recursive: true })
      copyTemplate(source, target, values)
    } else {
      writeFileSync(target, fill(readFileSync(source, 'utf8'), values))
    }
  }
}

export async function newProject({ name, template, pm, install, force, cwd, print }) {
  checkName(name)
  if (!existsSync(path.join(templates, template)) || template === 'shared') {
    throw new CliError(`unknown template '${template}': use basic or api`, 2)
  }
  const manager = MANAGERS[pm]
  if (!manager) throw new CliError(`unknown package manager '${pm}': use npm, pnpm or yarn`, 2)
  const dir = path.resolve(cwd, name.replace(/^@[^/]+\//, ''))
  if (existsSync(dir)) {
    if (!statSync(dir).isDirectory()) throw new CliError(`${dir} exists and is not a directory`)
    if (readdirSync(dir).length > 0 && !force) {
      throw new CliError(`${dir} is not empty; choose another name, or pass --force to write into it`)
    }
  }
  mkdirSync(dir, { recursive: true })
  const values = {
    name,
    coreVersion: version,
    run: manager.run,
    install: manager.install,
    ci: manager.ci,
    ciProd: manager.ciProd,
    lock: manager.lock,
  }
  copyTemplate(path.join(templates, 'shared'), dir, values)
  copyTemplate(path.join(templates, template), dir, values)
  print(`created ${path.relative(cwd, dir) || '.'} from the ${template} template`)
  if (install) {
    print(`installing dependencies with ${pm}…`)
    const [command, ...args] = manager.install.split(' ')
    const result = spawnSync(command, args, { cwd: dir, stdio: 'inherit', shell: process.platform === 'win32' })
    if (result.status !== 0) {
      throw new CliError(`${manager.install} failed in ${dir}${result.error ? `: ${result.error.message}` : ''}; fix it and run it again`)
    }
  }
  const relative = path.relative(cwd, dir)
  print(`
Next steps:
  cd ${relative}${install ? '' : `\n  ${manager.install}`}
  ${manager.run} dev     # restarts on change, http://127.0.0.1:3000
  ${manager.run} test
  ${manager.run} build && ${manager.run} start`)
}
