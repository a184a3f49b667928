// The invariants the design rests on, checked in the source: no napi in the
// engine, one door for calls into JS, no JS promise awaited from Rust, and no
// import circle in the engine, the binding or src/.
import { readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)))
const sources = (dir: string) =>
  readdirSync(path.join(root, dir), { recursive: true, encoding: 'utf8' })
    .filter((file) => file.endsWith('.rs'))
    // Code only: what comments say does not count.
    .map((file) => ({ file: path.join(dir, file), text: readFileSync(path.join(root, dir, file), 'utf8').replace(/\/\/.*$/gm, '') }))

/** TypeScript files under `dir`, comments stripped, generated ones left out unless asked for. */
const scripts = (dir: string, generated = false) =>
  readdirSync(path.join(root, dir), { recursive: true, encoding: 'utf8' })
    .filter((file) => /\.m?ts$/.test(file) && (generated || !file.startsWith('generated')))
    .map((file) => ({
      file: path.join(dir, file),
      text: readFileSync(path.join(root, dir, file), 'utf8').replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, ''),
    }))

describe('architecture', () => {
  it('spells error codes only in the one list (crates/wire)', () => {
    const rust = ['crates/engine/src', 'crates/armature-node/src', 'crates/wire/src'].flatMap(sources)
    const spelled = [...rust, ...scripts('src')].filter(({ text }) => /["'`]ERR_ARMATURE_/.test(text)).map(({ file }) => file)
    expect(spelled).toEqual([path.join('crates/wire/src', 'lib.rs')])
  })

  it('keeps napi out of the engine', () => {
    expect(readFileSync(path.join(root, 'crates/engine/Cargo.toml'), 'utf8')).not.toMatch(/^napi/m)
    for (const { file, text } of sources('crates/engine/src')) expect(text, file).not.toMatch(/\bnapi(_derive)?::/)
  })

  it('calls into JS only through js_call.rs, and never awaits a JS promise', () => {
    for (const { file, text } of sources('crates/armature-node/src')) {
      if (file.endsWith('js_call.rs')) continue
      expect(text, file).not.toMatch(/ThreadsafeFunction|build_threadsafe_function|create_deferred|JsDeferred/)
      // napi's `Promise<T>` is how Rust would await one.
      expect(text.replace(/ts_return_type = "[^"]*"/g, ''), file).not.toMatch(/\bPromise\b/)
    }
  })

  it('gives every file of the binding and of src/ its place in ARCHITECTURE.md', () => {
    const map = readFileSync(path.join(root, 'ARCHITECTURE.md'), 'utf8')
    const files = [...sources('crates/armature-node/src').map(({ file }) => file), ...scripts('src').map(({ file }) => file)]
    const missing = files.map((file) => path.basename(file)).filter((name) => !map.includes(`\`${name}\``))
    expect(missing).toEqual([])
  })

  it('has no import circle among the binding modules', () => {
    const graph = new Map<string, Set<string>>()
    for (const { file, text } of sources('crates/armature-node/src')) {
      const name = path.basename(file, '.rs')
      if (name === 'lib') continue
      graph.set(name, new Set(crateUses(text).filter((used) => used !== name)))
    }
    expect(circles(graph)).toEqual([])
  })

  it('has no import circle among the engine modules, nor among the files of one folder', () => {
    const files = sources('crates/engine/src').map(({ file, text }) => ({ parts: path.relative('crates/engine/src', file).replace(/\.rs$/, '').split(path.sep), text }))
    // What lib.rs re-exports resolves to the module that defines it (`crate::Body` is `body`).
    const lib = files.find(({ parts }) => parts.join('/') === 'lib')?.text ?? ''
    const top = new Map<string, Set<string>>()
    for (const { parts, text } of files) {
      if (parts[0] === 'lib') continue
      const name = parts[0] as string
      const uses = crateUses(text).map((used) => reexported(lib, used) ?? used).filter((used) => used !== name && files.some((f) => f.parts[0] === used))
      top.set(name, new Set([...(top.get(name) ?? []), ...uses]))
    }
    expect(circles(top), 'between top-level modules').toEqual([])
    for (const folder of new Set(files.filter(({ parts }) => parts.length === 2).map(({ parts }) => parts[0] as string))) {
      const members = files.filter(({ parts }) => parts.length === 2 && parts[0] === folder)
      const names = new Set(members.map(({ parts }) => parts[1] as string))
      const modText = members.find(({ parts }) => parts[1] === 'mod')?.text ?? ''
      const graph = new Map<string, Set<string>>()
      for (const { parts, text: whole } of members) {
        const name = parts[1] as string
        // A file's tests (its last item) name the file itself as `super`.
        const text = whole.replace(/#\[cfg\(test\)\]\s*mod tests[\s\S]*$/, '')
        // A folder's `mod` and `pub use` lines declare it; they are not uses.
        const code = name === 'mod' ? text.replace(/^\s*(pub(\([^)]*\))? )?(mod|use) \w+[^;]*;$/gm, (line) => (/^\s*(pub|mod)/.test(line) ? '' : line)) : text
        const uses = [...superUses(code, name === 'mod'), ...crateUses(code, folder)]
          .map((used) => (names.has(used) ? used : (reexported(modText, used) ?? 'mod')))
          .filter((used) => used !== name && names.has(used))
        graph.set(name, new Set(uses))
      }
      expect(circles(graph), `in ${folder}/`).toEqual([])
    }
  })

  it('has no import circle among the TypeScript modules', () => {
    const graph = new Map<string, Set<string>>()
    for (const { file, text } of scripts('src', true)) {
      const name = path.relative('src', file).replace(/\.m?ts$/, '')
      const specifiers = [...text.matchAll(/(?:from|import)\s*\(?\s*'(\.[^']+)'/g)].map((m) => m[1] as string)
      graph.set(name, new Set(specifiers.map((spec) => path.join(path.dirname(name), spec).replace(/\.m?js$/, ''))))
    }
    expect(circles(graph)).toEqual([])
  })
})

/** The modules `text` names after `crate::` (after `crate::{folder}::` when `folder` is given), grouped imports included. */
function crateUses(text: string, folder?: string): string[] {
  const prefix = folder === undefined ? 'crate::' : `crate::${folder}::`
  return pathsAfter(text, prefix)
}

/** The siblings `text` names after `super::`; mod.rs names its children directly (`connection::X`). */
function superUses(text: string, isMod: boolean): string[] {
  const uses = pathsAfter(text, 'super::')
  if (isMod) uses.push(...[...text.matchAll(/(?<![\w:])(\w+)::/g)].map((m) => m[1] as string))
  return uses
}

/** The first segment of every path after `prefix`, with `prefix{a, b::c}` giving `a` and `b`. */
function pathsAfter(text: string, prefix: string): string[] {
  const escaped = prefix.replace(/:/g, '\\:')
  const found: string[] = []
  for (const m of text.matchAll(new RegExp(`(?<![\\w:])${escaped}(\\{[^;]*?\\}|\\w+)`, 'g'))) {
    const group = m[1] as string
    if (!group.startsWith('{')) found.push(group)
    else {
      // Drop nested groups, then take each item's first segment.
      let flat = group.slice(1, -1)
      while (/\{[^{}]*\}/.test(flat)) flat = flat.replace(/\{[^{}]*\}/g, '')
      for (const item of flat.split(',')) {
        const first = item.trim().split('::')[0]?.trim()
        if (first) found.push(first)
      }
    }
  }
  return found
}

/** The module a `pub use module::{…Name…}` line of `text` takes `name` from. */
function reexported(text: string, name: string): string | undefined {
  for (const m of text.matchAll(/^\s*pub(?:\([^)]*\))? use (\w+)::(\{[^;]*\}|\w+);/gm)) {
    const items = (m[2] as string).replace(/[{}]/g, '').split(',').map((item) => item.trim().split(' as ').pop()?.trim())
    if (items.includes(name)) return m[1] as string
  }
  return undefined
}

/** Every circle in `graph`, each once, as the path around it. */
function circles(graph: Map<string, Set<string>>): string[] {
  const found = new Set<string>()
  const walk = (from: string, seen: string[]): void => {
    if (seen.includes(from)) {
      const loop = seen.slice(seen.indexOf(from))
      const start = loop.indexOf([...loop].sort()[0] as string)
      found.add([...loop.slice(start), ...loop.slice(0, start), loop[start]].join(' → '))
      return
    }
    for (const next of graph.get(from) ?? []) walk(next, [...seen, from])
  }
  for (const name of graph.keys()) walk(name, [])
  return [...found].sort()
}
