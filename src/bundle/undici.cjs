'use strict'
// undici in dist/: @actions/http-client imports ProxyAgent at load and makes one only behind a proxy (see loaded.cjs).
const loaded = require('./loaded.cjs')

module.exports = new Proxy(
  {},
  {
    get(_target, name) {
      if (name === '__esModule') return undefined
      if (!loaded.undici)
        throw new Error('undici was not loaded: the code that talks to the GitHub API loads it first.')
      return loaded.undici[name]
    }
  }
)
