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
    // Each folder, at any depth: its files and its subfolders are the nodes.
    const modules = files.map(({ parts, text }) => ({
      // `a/mod.rs` is the module `a`.
      path: parts.at(-1) === 'mod' ? parts.slice(0, -1) : parts,
      // A file's tests (its last item) name the file itself as `super`.
      text: text.replace(/#\[cfg\(test\)\]\s*mod tests[\s\S]*$/, ''),
    }))
    const folders = new Set(files.filter(({ parts }) => parts.length > 1).map(({ parts }) => parts.slice(0, -1).join('/')))
    for (const folder of folders) {
      const at = folder.split('/')
      const inside = modules.filter(({ path }) => path.length >= at.length && at.every((part, i) => path[i] === part))
      const name = (path: string[]) => (path.length === at.length ? 'mod' : (path[at.length] as string))
      const names = new Set(inside.map(({ path }) => name(path)))
      const modText = inside.find(({ path }) => path.length === at.length)?.text ?? ''
      const graph = new Map<string, Set<string>>()
      for (const { path, text } of inside) {
        const from = name(path)
        const depth = path.length - at.length
        // The folder's own mod.rs names its children bare (`connection::X`); its
        // `mod` and `pub use` lines declare them and are not uses. A file below
        // reaches the folder with as many `super::` as it is deep.
        const uses =
          depth === 0
            ? [...text.replace(/^\s*(pub(\([^)]*\))? use|mod) \w+[^;]*;$/gm, '').matchAll(/(?<![\w:])(\w+)::/g)].map((m) => m[1] as string)
            : pathsAfter(text, 'super::'.repeat(depth))
        const targets = [...uses, ...pathsAfter(text, `crate::${at.join('::')}::`)]
          .filter((used) => !['super', 'self', 'crate'].includes(used))
          .map((used) => (names.has(used) ? used : (reexported(modText, used) ?? 'mod')))
          .filter((used) => used !== from && names.has(used))
        graph.set(from, new Set([...(graph.get(from) ?? []), ...targets]))
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

/** The modules `text` names after `crate::`, grouped imports included. */
function crateUses(text: string): string[] {
  return pathsAfter(text, 'crate::')
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
