// The official JSON-Schema-Test-Suite for draft 2020-12, through HTTP: one
// route per test group with the group's schema as its body schema, each case
// POSTed, 200 for the valid ones and 400 for the others. Remote references
// (http://localhost:1234/…) are registered from the suite's remotes/ with
// app.schema(uri, S), never fetched. The suite comes from tools/test-setup.mjs.
import fs from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { App, post, type Server } from '@armature/core'
import { corpus } from './tools.js'

interface Group {
  description: string
  schema: unknown
  tests: { description: string; data: unknown; valid: boolean }[]
}

const suite = corpus('jsonSchemaSuite')
const tests = path.join(suite, 'tests', 'draft2020-12')
const files = fs.readdirSync(tests).filter((name) => name.endsWith('.json')).sort()

/** Every file under `dir`, as paths relative to it. */
function walk(dir: string, prefix = ''): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? walk(path.join(dir, entry.name), `${prefix}${entry.name}/`) : [`${prefix}${entry.name}`],
  )
}

let server: Server | undefined
/** Groups whose schema the engine refused to compile, by file. */
const refused = new Map<string, string[]>()

beforeAll(async () => {
  let app = App.new({ limits: { bodySize: '1mb' } })
  const remotes = path.join(suite, 'remotes')
  // draft-next/ holds schemas of the draft after 2020-12, which no engine supports yet.
  for (const file of walk(remotes).filter((name) => name.endsWith('.json') && !name.startsWith('draft-next/'))) {
    app = app.schema(`http://localhost:1234/${file}`, JSON.parse(fs.readFileSync(path.join(remotes, file), 'utf8')) as object)
  }
  for (const file of files) {
    const groups = JSON.parse(fs.readFileSync(path.join(tests, file), 'utf8')) as Group[]
    groups.forEach((group, index) => {
      try {
        app.route(`/${file.replace(/\.json$/, '')}/${index}`, post(() => 'valid', { schema: { body: group.schema } }))
      } catch (error) {
        refused.set(file, [...(refused.get(file) ?? []), `${group.description}: ${(error as Error).message}`])
      }
    })
  }
  server = await app.run({ host: '127.0.0.1', port: 0 })
})

afterAll(() => server?.close({ timeout: 1000 }))

describe('JSON-Schema-Test-Suite, draft 2020-12, through HTTP', () => {
  it.each(files)('%s', async (file) => {
    expect(refused.get(file) ?? []).toEqual([])
    const groups = JSON.parse(fs.readFileSync(path.join(tests, file), 'utf8')) as Group[]
    const wrong: string[] = []
    for (const [index, group] of groups.entries()) {
      for (const test of group.tests) {
        const res = await fetch(`${server?.url}/${file.replace(/\.json$/, '')}/${index}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(test.data),
        })
        const text = await res.text()
        const expected = test.valid ? 200 : 400
        if (res.status !== expected) wrong.push(`${group.description} / ${test.description}: ${res.status} ${text.slice(0, 200)}`)
        else if (!test.valid && !(JSON.parse(text) as { errors?: unknown[] }).errors?.length) wrong.push(`${group.description} / ${test.description}: a 400 without errors`)
      }
    }
    expect(wrong).toEqual([])
  })
})
