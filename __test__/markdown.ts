// Reading the project's markdown: for the docs test and the packaging test.
import { readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import GithubSlugger from 'github-slugger'

export const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)))
/** The pages under docs/, as paths from the root. */
export const pages = readdirSync(path.join(root, 'docs'))
  .filter((file) => file.endsWith('.md'))
  .map((file) => `docs/${file}`)
export const read = (file: string) => readFileSync(path.join(root, file), 'utf8')
/** Where the published pages link to the repository's. */
export const REPOSITORY = 'https://github.com/armature-rs/armature/blob/main/'

/** The files the published pages link to, relative to the package: what `npm pack` must carry. */
export function linkedFromPublished(): string[] {
  const seen = new Set<string>()
  const visit = (file: string) => {
    if (seen.has(file)) return
    seen.add(file)
    if (!file.endsWith('.md')) return
    for (const [, link] of prose(read(file)).matchAll(/\]\(([^)\s#]+)[^)\s]*\)/g)) {
      if (!/^[a-z]+:/.test(link as string)) visit(path.posix.join(path.posix.dirname(file), link as string))
    }
  }
  visit('README.md')
  return [...seen].sort()
}

/** The markdown without its fenced code blocks, where `](` means nothing. */
export const prose = (text: string) => text.replace(/^```[\s\S]*?^```/gm, '')

/** The anchors GitHub gives the headings of `file`. */
export function anchors(file: string): Set<string> {
  const slugger = new GithubSlugger()
  return new Set([...prose(read(file)).matchAll(/^#{1,6} (.+)$/gm)].map((m) => slugger.slug((m[1] as string).trim())))
}

