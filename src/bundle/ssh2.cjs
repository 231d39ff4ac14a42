'use strict'
// ssh2 in dist/: docker-modem reads `Client` at load and makes one only for an ssh:// DOCKER_HOST (see loaded.cjs).
const loaded = require('./loaded.cjs')

class Client {
  constructor(...args) {
    if (!loaded.ssh2) throw new Error('ssh2 was not loaded: connectDocker loads it for an ssh:// DOCKER_HOST.')
    return new loaded.ssh2.Client(...args)
  }
}

module.exports = { Client }
