// `armature routes`: loads an app module and prints its route table.
import { existsSync } from 'node:fs'
import { createRequire } from 'node:module'
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import { CliError } from './errors.mjs'

const DEFAULT_ENTRIES = ['dist/app.js', 'src/app.ts', 'app.js']

/** Lets Node import a TypeScript entry through the project's own tsx. */
async function registerTypeScript(cwd, entry) {
  let api
  try {
    api = createRequire(path.join(cwd, 'package.json')).resolve('tsx/esm/api')
  } catch {
    throw new CliError(`${entry} is TypeScript: install tsx in the project (npm i -D tsx), or build it and pass the .js file`)
  }
  const { register } = await import(pathToFileURL(api).href)
  register()
}

export async function listRoutes({ entry, json, cwd, print }) {
  const candidates = entry ? [entry] : DEFAULT_ENTRIES
  const found = candidates.map((file) => path.resolve(cwd, file)).find((file) => existsSync(file))
  if (!found) {
    throw new CliError(
      entry ? `no such module: ${path.resolve(cwd, entry)}` : `no app module found (tried ${DEFAULT_ENTRIES.join(', ')}); build first or pass the entry`,
    )
  }
  if (/\.[mc]?ts$/.test(found)) await registerTypeScript(cwd, found)
  const module = await import(pathToFileURL(found).href)
  const app = module.app ?? module.default
  if (!app || typeof app.routes !== 'function') {
    throw new CliError(`${path.relative(cwd, found)} exports no Armature App: export it as \`app\` or as the default export`)
  }
  const routes = app.routes()
  if (json) {
    print(JSON.stringify(routes, null, 2))
    return
  }
  const rows = [['METHOD', 'PATH', 'MIDDLEWARE', 'HANDLER'], ...routes.map((r) => [r.methods.join(','), r.path, String(r.middleware), r.handler])]
  const widths = rows[0].map((_, i) => Math.max(...rows.map((row) => row[i].length)))
  for (const row of rows) print(row.map((cell, i) => cell.padEnd(widths[i])).join('  ').trimEnd())
  print(`${routes.length} route${routes.length === 1 ? '' : 's'}`)
}
