// Packs @armature/core and this platform's binary package as npm publishes them.
import { execFileSync, type ExecFileSyncOptions } from 'node:child_process'
import { cpSync, existsSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

export const root = fileURLToPath(new URL('..', import.meta.url))
export const windows = process.platform === 'win32'

/** This machine as the npm/ packages name it. */
export function platformKey(): string {
  const { platform, arch } = process
  if (platform === 'linux') {
    const report = process.report.getReport() as { header?: { glibcVersionRuntime?: string } }
    return `linux-${arch}-${report.header?.glibcVersionRuntime ? 'gnu' : 'musl'}`
  }
  return platform === 'win32' ? `win32-${arch}-msvc` : `${platform}-${arch}`
}

/** Whether this machine has a platform package in npm/. */
export const packable = existsSync(path.join(root, 'npm', platformKey()))

export function npm(args: string[], options: ExecFileSyncOptions = {}): string {
  return execFileSync(windows ? 'npm.cmd' : 'npm', args, { encoding: 'utf8', shell: windows, ...options }) as string
}

/** PATH without the directories that hold cargo or rustc, so nothing can build from source. */
export function pathWithoutRust(): string {
  const tools = ['cargo', 'rustc', 'rustup'].map((t) => (windows ? `${t}.exe` : t))
  return (process.env.PATH ?? '')
    .split(path.delimiter)
    .filter((dir) => dir !== '' && !tools.some((tool) => existsSync(path.join(dir, tool))))
    .join(path.delimiter)
}

export interface Packed {
  /** The tarball's full path. */
  file: string
  size: number
  files: { path: string; size: number }[]
}

function pack(dir: string, into: string): Packed {
  const [packed] = JSON.parse(npm(['pack', '--json', '--pack-destination', into], { cwd: dir })) as (Omit<Packed, 'file'> & {
    filename: string
  })[]
  if (!packed) throw new Error(`npm pack gave nothing for ${dir}`)
  return { ...packed, file: path.join(into, packed.filename) }
}

/**
 * Places the release binary `npm install` built for this machine in its
 * npm/ package (where the publish job puts each one), stages the packages
 * with tools/packages.mjs and packs the core and this platform's package.
 */
export function packPackages(work: string): { core: Packed; platform: Packed; staged: string } {
  const key = platformKey()
  const binary = `armature.${key}.node`
  cpSync(path.join(root, binary), path.join(root, 'npm', key, binary))
  const staged = path.join(work, 'staged')
  execFileSync(process.execPath, [path.join(root, 'tools', 'packages.mjs'), 'stage', staged])
  return { core: pack(path.join(staged, 'core'), work), platform: pack(path.join(staged, key), work), staged }
}
