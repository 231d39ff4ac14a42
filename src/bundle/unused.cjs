'use strict'
// @grpc/grpc-js and @grpc/proto-loader in dist/: dockerode loads them for BuildKit sessions, which the action never opens.
module.exports = new Proxy(
  {},
  {
    get(_target, name) {
      if (name === '__esModule') return undefined
      throw new Error(`${String(name)}: BuildKit sessions (gRPC) are not bundled in this action.`)
    }
  }
)
