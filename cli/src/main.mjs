// The `armature` command: parses arguments, runs a command, maps failures to
// exit codes (0 done, 1 failed, 2 used wrongly).
import { readFileSync } from 'node:fs'
import { parseArgs } from 'node:util'
import { CliError } from './errors.mjs'
import { newProject } from './new.mjs'
import { listRoutes } from './routes.mjs'

const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'))

const HELP = {
  main: `armature ${version}: scaffold and inspect Armature apps

Usage:
  armature new <name> [options]   create a TypeScript project
  armature routes [entry]         list the routes of an app module

Options:
  -h, --help      help for a command (armature new --help)
  -v, --version   print the version`,
  new: `Usage: armature new <name> [--template basic|api] [--pm npm|pnpm|yarn] [--no-install] [--force]

Creates ./<name> with an App in src/app.ts, a server in src/main.ts (graceful
shutdown on SIGTERM), a vitest test using testClient, a strict tsconfig, a
Dockerfile and scripts dev, build, start and test.

Options:
  -t, --template <basic|api>   basic: one route and /health; api: a JSON CRUD API
                               under /api/v1 with errors and tests (default: basic)
      --pm <npm|pnpm|yarn>     the package manager to install and run with (default: npm)
      --no-install             do not install dependencies
  -f, --force                  write into a directory that is not empty`,
  routes: `Usage: armature routes [entry] [--json]

Loads the module <entry> (default: dist/app.js, then src/app.ts with tsx, then
app.js), takes its export \`app\` (or its default export) and prints every
route: methods, path, JS middleware count and handler kind.

Options:
      --json   print JSON instead of a table`,
}

const OPTIONS = {
  new: {
    template: { type: 'string', short: 't', default: 'basic' },
    pm: { type: 'string', default: 'npm' },
    'no-install': { type: 'boolean', default: false },
    force: { type: 'boolean', short: 'f', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
  routes: {
    json: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
}

/** Runs the CLI with `argv` (without node and the script); resolves to the exit code. */
export async function main(argv, { stdout = process.stdout, stderr = process.stderr, cwd = process.cwd() } = {}) {
  const print = (text) => stdout.write(`${text}\n`)
  const [command, ...rest] = argv
  try {
    if (command === undefined || command === '-h' || command === '--help' || command === 'help') {
      print(HELP.main)
      return 0
    }
    if (command === '-v' || command === '--version') {
      print(version)
      return 0
    }
    if (!(command in OPTIONS)) throw new CliError(`unknown command '${command}'; run armature --help`, 2)
    let parsed
    try {
      parsed = parseArgs({ args: rest, options: OPTIONS[command], allowPositionals: true, strict: true })
    } catch (error) {
      throw new CliError(`${error.message}; run armature ${command} --help`, 2)
    }
    const { values, positionals } = parsed
    if (values.help) {
      print(HELP[command])
      return 0
    }
    if (command === 'new') {
      if (positionals.length !== 1) throw new CliError('armature new takes one project name, e.g. armature new my-app', 2)
      await newProject({
        name: positionals[0],
        template: values.template,
        pm: values.pm,
        install: !values['no-install'],
        force: values.force,
        cwd,
        print,
      })
    } else {
      if (positionals.length > 1) throw new CliError('armature routes takes at most one entry module', 2)
      return await listRoutes({ entry: positionals[0], json: values.json, cwd, print })
    }
    return 0
  } catch (error) {
    if (error instanceof CliError) {
      stderr.write(`armature: ${error.message}\n`)
      return error.code
    }
    stderr.write(`armature: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`)
    return 1
  }
}
