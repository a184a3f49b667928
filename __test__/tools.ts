// The outside tools the tests drive, where tools/test-setup.mjs (run by
// `npm test`) found or installed them.
import { execFileSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'

export interface Tool {
  command: string
  /** Extra environment it needs (its unpacked libraries). */
  env?: Record<string, string>
}

const root = path.dirname(path.dirname(new URL(import.meta.url).pathname))
const manifest = path.join(root, 'node_modules', '.cache', 'armature-tools.json')

function tools(): Record<string, unknown> {
  const read = () => (fs.existsSync(manifest) ? (JSON.parse(fs.readFileSync(manifest, 'utf8')) as Record<string, unknown>) : {})
  let found = read()
  // A focused run skipped the setup, or an older one set up fewer tools.
  if (!('curl' in found && 'jsonSchemaSuite' in found)) {
    execFileSync(process.execPath, [path.join(root, 'tools', 'test-setup.mjs')], { stdio: 'inherit' })
    found = read()
  }
  return found
}

/** A command-line tool by name. */
export function tool(name: 'curl'): Tool {
  const found = tools()[name] as Tool | undefined
  if (found === undefined) throw new Error(`tools/test-setup.mjs did not set up ${name}`)
  return found
}

/** The folder of a test corpus by name: the JSON-Schema-Test-Suite's `json/` (tests/ and remotes/). */
export function corpus(name: 'jsonSchemaSuite'): string {
  const found = tools()[name] as { path: string } | undefined
  if (found === undefined) throw new Error(`tools/test-setup.mjs did not set up ${name}`)
  return found.path
}
