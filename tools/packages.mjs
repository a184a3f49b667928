#!/usr/bin/env node
// Stages and publishes the npm packages: @armature/core and one
// @armature/core-<platform> package per prebuilt binary (see npm/).
//
//   node tools/packages.mjs stage <out> [binaries-dir]
//     Writes <out>/core (the root package as users get it: loader, types, JS
//     layer, licence, README; optionalDependencies on every platform package
//     at the same version; no scripts) and <out>/<platform> for each platform
//     whose armature.<platform>.node is found in binaries-dir (searched
//     recursively; default: npm/<platform>/, then the repository root).
//   node tools/packages.mjs publish <out>
//     Publishes a staged set with npm provenance: every platform package, then
//     the core. Needs all platforms; the tag must be v<version>; prereleases
//     go to the `next` dist-tag.
import { execFileSync } from 'node:child_process'
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)))
const readJson = (file) => JSON.parse(readFileSync(file, 'utf8'))
const writeJson = (file, value) => writeFileSync(file, `${JSON.stringify(value, null, 2)}\n`)

/** The platform packages under npm/, by platform name. */
function platforms() {
  return readdirSync(path.join(root, 'npm')).map((name) => ({
    name,
    dir: path.join(root, 'npm', name),
    manifest: readJson(path.join(root, 'npm', name, 'package.json')),
  }))
}

function findBinary(dir, file) {
  if (!existsSync(dir)) return undefined
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name)
    if (entry.isFile() && entry.name === file) return full
    if (entry.isDirectory() && entry.name !== 'node_modules' && entry.name !== 'target' && !entry.name.startsWith('.')) {
      const found = findBinary(full, file)
      if (found) return found
    }
  }
  return undefined
}

/** Stages the packages into `out`; returns the staged directories by package name. */
function stage(out, binaries) {
  const core = readJson(path.join(root, 'package.json'))
  const staged = {}
  rmSync(out, { recursive: true, force: true })
  for (const platform of platforms()) {
    if (platform.manifest.version !== core.version) {
      throw new Error(
        `${platform.manifest.name} is at ${platform.manifest.version} but @armature/core at ${core.version}: run \`npx napi version\``,
      )
    }
    const file = platform.manifest.main
    const binary = binaries ? findBinary(binaries, file) : [path.join(platform.dir, file), path.join(root, file)].find(existsSync)
    if (!binary) continue
    const dir = path.join(out, platform.name)
    mkdirSync(dir, { recursive: true })
    cpSync(path.join(platform.dir, 'package.json'), path.join(dir, 'package.json'))
    cpSync(path.join(platform.dir, 'README.md'), path.join(dir, 'README.md'))
    cpSync(path.join(root, 'LICENSE'), path.join(dir, 'LICENSE'))
    cpSync(binary, path.join(dir, file))
    staged[platform.manifest.name] = dir
  }
  const dir = path.join(out, 'core')
  mkdirSync(dir, { recursive: true })
  // Exactly the files npm would pack from the root (its `files` list), without running its scripts.
  const [packed] = JSON.parse(execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: root, encoding: 'utf8' }))
  for (const { path: file } of packed.files) {
    if (file === 'package.json') continue
    mkdirSync(path.dirname(path.join(dir, file)), { recursive: true })
    cpSync(path.join(root, file), path.join(dir, file))
  }
  const { scripts, devDependencies, overrides, napi, ...manifest } = core
  manifest.optionalDependencies = Object.fromEntries(platforms().map((p) => [p.manifest.name, core.version]))
  writeJson(path.join(dir, 'package.json'), manifest)
  staged[core.name] = dir
  return staged
}

function publish(out) {
  const core = readJson(path.join(out, 'core', 'package.json'))
  const tag = process.env.GITHUB_REF_NAME
  if (tag !== `v${core.version}`) throw new Error(`the tag ${tag} does not match the version ${core.version}: tag v${core.version}`)
  const missing = platforms().filter((p) => !existsSync(path.join(out, p.name, p.manifest.main)))
  if (missing.length) throw new Error(`binaries missing for ${missing.map((p) => p.name).join(', ')}`)
  const distTag = core.version.includes('-') ? 'next' : 'latest'
  for (const dir of [...platforms().map((p) => path.join(out, p.name)), path.join(out, 'core')]) {
    console.log(`publishing ${dir} (${distTag})`)
    execFileSync('npm', ['publish', '--provenance', '--access', 'public', '--tag', distTag], { cwd: dir, stdio: 'inherit' })
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [command, out, binaries] = process.argv.slice(2)
  if (command === 'stage' && out) {
    for (const [name, dir] of Object.entries(stage(path.resolve(out), binaries && path.resolve(binaries)))) console.log(`${name}: ${dir}`)
  } else if (command === 'publish' && out) {
    publish(path.resolve(out))
  } else {
    console.error('usage: node tools/packages.mjs stage <out> [binaries-dir] | publish <out>')
    process.exit(2)
  }
}
