// The invariants the design rests on, checked in the source: no napi in the
// engine, one door for calls into JS, no JS promise awaited from Rust, and no
// import circle among the binding's modules.
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

/** TypeScript files under `dir`, comments stripped, generated ones left out. */
const scripts = (dir: string) =>
  readdirSync(path.join(root, dir), { recursive: true, encoding: 'utf8' })
    .filter((file) => /\.m?ts$/.test(file) && !file.startsWith('generated'))
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

  it('has no import circle among the binding modules', () => {
    const graph = new Map<string, Set<string>>()
    for (const { file, text } of sources('crates/armature-node/src')) {
      const name = path.basename(file, '.rs')
      if (name === 'lib') continue
      const uses = new Set([...text.matchAll(/\bcrate::(\w+)/g)].map((m) => m[1] as string).filter((used) => used !== name))
      graph.set(name, uses)
    }
    const circle = (from: string, seen: string[]): string[] | undefined => {
      if (seen.includes(from)) return [...seen.slice(seen.indexOf(from)), from]
      for (const next of graph.get(from) ?? []) {
        const found = circle(next, [...seen, from])
        if (found) return found
      }
      return undefined
    }
    for (const name of graph.keys()) expect(circle(name, []), name).toBeUndefined()
  })
})
