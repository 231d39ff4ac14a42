'use strict'
// Loads the real modules behind the stand-ins of dist/ (see loaded.cjs), each as a chunk of its own.
const loaded = require('./loaded.cjs')

exports.loadSsh2 = async () => {
  loaded.ssh2 ??= await import('ssh2/lib/index.js').then((module) => module.default ?? module)
}

exports.loadUndici = async () => {
  loaded.undici ??= await import('undici/index.js').then((module) => module.default ?? module)
}
