// The documentation keeps true as the code moves: every relative link and
// `#anchor` resolves, and the first `ts` block of the README and of every
// page under docs/ type-checks against the built package, strictly.
import { existsSync } from 'node:fs'
import path from 'node:path'
import ts from 'typescript'
import { describe, expect, it } from 'vitest'
import { anchors, pages, prose, read, REPOSITORY, root } from './markdown.js'

const documents = ['README.md', 'CONTRIBUTING.md', 'ARCHITECTURE.md', ...pages]

describe('the documentation', () => {
  it('has a README of at most 300 lines, and the pages it lists', () => {
    expect(read('README.md').split('\n').length).toBeLessThanOrEqual(300)
    expect(pages.length).toBeGreaterThanOrEqual(12)
  })

  it('links only to files and anchors that exist', () => {
    const broken: string[] = []
    for (const file of documents) {
      for (const [, link] of prose(read(file)).matchAll(/\]\(([^)\s]+)\)/g)) {
        // The repository's own pages (linked so from what is published) are checked too.
        const target = (link as string).startsWith(REPOSITORY) ? `/${(link as string).slice(REPOSITORY.length)}` : (link as string)
        if (/^[a-z]+:/.test(target)) continue
        const [where, anchor] = target.split('#') as [string, string | undefined]
        const linked = where === '' ? file : where.startsWith('/') ? where.slice(1) : path.posix.join(path.posix.dirname(file), where)
        if (!existsSync(path.join(root, linked))) broken.push(`${file}: ${target} (no file ${linked})`)
        else if (anchor !== undefined && !anchors(linked).has(anchor)) broken.push(`${file}: ${target} (no heading #${anchor} in ${linked})`)
      }
    }
    expect(broken).toEqual([])
  })

  it("type-checks the first ts block of the README and of every page, as a user's strict code", () => {
    const examples = new Map<string, string>()
    for (const file of ['README.md', ...pages]) {
      const block = /^```ts\n([\s\S]*?)^```/m.exec(read(file))
      expect(block, `${file} starts with a ts example`).not.toBeNull()
      // Virtual files inside the checkout, so `@armature/core` resolves to this package.
      examples.set(path.join(root, '__test__', `example-${path.basename(file, '.md')}.ts`), (block as RegExpExecArray)[1] as string)
    }
    const config = ts.getParsedCommandLineOfConfigFile(path.join(root, 'tsconfig.json'), {}, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => {} })
    const options = { ...(config as ts.ParsedCommandLine).options, noEmit: true }
    const host = ts.createCompilerHost(options)
    const { getSourceFile, fileExists, readFile } = host
    host.fileExists = (name) => examples.has(name) || fileExists(name)
    host.readFile = (name) => examples.get(name) ?? readFile(name)
    host.getSourceFile = (name, version, ...rest) => {
      const text = examples.get(name)
      return text === undefined ? getSourceFile(name, version, ...rest) : ts.createSourceFile(name, text, version)
    }
    const program = ts.createProgram([...examples.keys()], options, host)
    const problems = ts
      .getPreEmitDiagnostics(program)
      .filter((d) => d.file === undefined || examples.has(d.file.fileName))
      .map((d) => `${d.file ? path.basename(d.file.fileName) : ''}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`)
    expect(problems).toEqual([])
  })
})
