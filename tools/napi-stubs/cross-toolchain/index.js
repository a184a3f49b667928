'use strict'
// `napi build --use-napi-cross` would load this; Armature cross-compiles with cargo instead.
throw new Error('napi cross toolchain is not installed: build aarch64 Linux with cargo (see .github/workflows/node-publish.yml), not --use-napi-cross')
