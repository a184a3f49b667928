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

/** A tool by name; runs the setup first when a focused run skipped it. */
export function tool(name: 'curl'): Tool {
  if (!fs.existsSync(manifest)) execFileSync(process.execPath, [path.join(root, 'tools', 'test-setup.mjs')], { stdio: 'inherit' })
  const tools = JSON.parse(fs.readFileSync(manifest, 'utf8')) as Record<string, Tool>
  const found = tools[name]
  if (found === undefined) throw new Error(`tools/test-setup.mjs did not set up ${name}`)
  return found
}
