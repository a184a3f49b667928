import type * as Binding from '../index.js'
import { Code, codedError } from './errors.js'

/** The platforms Armature publishes a prebuilt binary for, as `@armature/core-<platform>`. */
export const PLATFORMS = ['linux-x64-gnu', 'linux-arm64-gnu', 'darwin-x64', 'darwin-arm64', 'win32-x64-msvc'] as const

/** This machine as napi-rs names binaries: `linux-x64-gnu`, `darwin-arm64`, … */
function platform(): string {
  const { platform, arch } = process
  if (platform === 'linux') {
    const report = process.report?.getReport() as { header?: { glibcVersionRuntime?: string } } | undefined
    return `linux-${arch}-${report?.header?.glibcVersionRuntime ? 'gnu' : 'musl'}`
  }
  if (platform === 'win32') return `win32-${arch}-msvc`
  return `${platform}-${arch}`
}

/**
 * Loads the native binding through the napi-rs loader (`index.js`), which
 * tries a binary built in this checkout, then the platform package. When
 * neither loads, the error says which platform this is, what was tried and
 * what to do, instead of the loader's bare "Cannot find native binding".
 */
function load(): typeof Binding {
  try {
    return require('../index.js') as typeof Binding
  } catch (cause) {
    const key = platform()
    const known = (PLATFORMS as readonly string[]).includes(key)
    const why = known
      ? `the package @armature/core-${key} is missing (installs with --omit=optional, or a lock file made on another platform, leave it out); reinstall @armature/core with optional dependencies`
      : `no prebuilt binary exists for it (there are binaries for ${PLATFORMS.join(', ')})`
    throw codedError(
      Code.NoBinary,
      `@armature/core cannot load its native binary on ${key} (Node.js ${process.version}): ${why}. ` +
        `Tried ./armature.${key}.node and @armature/core-${key}. ` +
        'To build it from source, clone https://github.com/armature-rs/armature and run `npm install` with a Rust toolchain (https://rustup.rs).',
      { cause },
    )
  }
}

/** The native binding: `NativeApp`, `statusReason`, the option checks. */
export const binding: typeof Binding = load()
