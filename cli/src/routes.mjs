// `armature routes`: loads an app module and prints its route table.
import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { createRequire } from 'node:module'
import path from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { CliError } from './errors.mjs'

const DEFAULT_ENTRIES = ['dist/app.js', 'src/app.ts', 'app.js']

/** Runs this command again under the project's tsx, so Node can import a TypeScript entry. */
function rerunWithTsx(cwd, entry, json) {
  try {
    createRequire(path.join(cwd, 'package.json')).resolve('tsx')
  } catch {
    throw new CliError(`${entry} is TypeScript: install tsx in the project (npm i -D tsx), or build it and pass the .js file`)
  }
  const bin = fileURLToPath(new URL('../bin/armature.mjs', import.meta.url))
  const args = ['--import', 'tsx', bin, 'routes', entry, ...(json ? ['--json'] : [])]
  const result = spawnSync(process.execPath, args, { cwd, stdio: 'inherit', env: { ...process.env, ARMATURE_UNDER_TSX: '1' } })
  return result.status ?? 1
}

/** Prints the routes of the app module `entry`; resolves to the exit code. */
export async function listRoutes({ entry, json, cwd, print }) {
  const candidates = entry ? [entry] : DEFAULT_ENTRIES
  const found = candidates.map((file) => path.resolve(cwd, file)).find((file) => existsSync(file))
  if (!found) {
    throw new CliError(
      entry ? `no such module: ${path.resolve(cwd, entry)}` : `no app module found (tried ${DEFAULT_ENTRIES.join(', ')}); build first or pass the entry`,
    )
  }
  if (/\.[mc]?ts$/.test(found) && !process.env.ARMATURE_UNDER_TSX) return rerunWithTsx(cwd, found, json)
  const module = await import(pathToFileURL(found).href)
  const app = module.app ?? module.default
  if (!app || typeof app.routes !== 'function') {
    throw new CliError(`${path.relative(cwd, found)} exports no Armature App: export it as \`app\` or as the default export`)
  }
  const routes = app.routes()
  if (json) {
    print(JSON.stringify(routes, null, 2))
    return 0
  }
  const rows = [['METHOD', 'PATH', 'MIDDLEWARE', 'HANDLER'], ...routes.map((r) => [r.methods.join(','), r.path, String(r.middleware), r.handler])]
  const widths = rows[0].map((_, i) => Math.max(...rows.map((row) => row[i].length)))
  for (const row of rows) print(row.map((cell, i) => cell.padEnd(widths[i])).join('  ').trimEnd())
  print(`${routes.length} route${routes.length === 1 ? '' : 's'}`)
  return 0
}
