'use strict'
// Only WebAssembly builds load this; Armature ships native binaries only.
throw new Error('napi wasm tools are not installed: Armature builds native targets only')
