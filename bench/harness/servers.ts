import { fork, type ChildProcess } from 'node:child_process'
import path from 'node:path'
import { startArtifactService } from '../../__tests__/servers/artifact.js'
import { startDocker } from '../../__tests__/servers/docker.js'
import { startIpfs } from '../../__tests__/servers/ipfs.js'
import { startS3 } from '../../__tests__/servers/s3.js'
import type { RunningServer } from '../../__tests__/servers/types.js'

/** The peers the tests use, started on loopback the same way; plus a static file server for HTTP. */
export type ServerName = 'docker' | 'ipfs' | 'artifact' | 's3' | 'http'

/** Each server is started the first time a scenario needs it and stopped at the end, or on demand. */
export class Servers {
  private readonly running = new Map<ServerName, RunningServer>()
  private readonly starters: Record<ServerName, () => Promise<RunningServer>>

  /** `httpRoot` is the folder the HTTP server serves. */
  constructor(httpRoot: string) {
    this.starters = {
      docker: startDocker,
      ipfs: startIpfs,
      artifact: startArtifactService,
      s3: startS3,
      http: () => startFileServer(httpRoot)
    }
  }

  async get(name: ServerName): Promise<Record<string, string>> {
    let server = this.running.get(name)
    if (!server) {
      server = await this.starters[name]()
      this.running.set(name, server)
    }
    return server.env
  }

  /** Stops one server, e.g. to throw away what a scenario stored in it. */
  async stop(name: ServerName): Promise<void> {
    const server = this.running.get(name)
    this.running.delete(name)
    await server?.stop()
  }

  async stopAll(): Promise<void> {
    const names = [...this.running.keys()].reverse()
    await Promise.allSettled(names.map((name) => this.stop(name)))
  }
}

/**
 * A static file server in a process of its own (so that it never competes
 * with the bench's own event loop): node:http streaming files with
 * Content-Length, as most download servers do.
 */
async function startFileServer(root: string): Promise<RunningServer> {
  const child: ChildProcess = fork(path.resolve('bench/harness/file-server.mjs'), [root], {
    stdio: ['pipe', 'pipe', 'inherit', 'ipc']
  })
  const url = await new Promise<string>((resolve, reject) => {
    child.once('message', (message) => resolve(String(message)))
    child.once('exit', (code) => reject(new Error(`the bench file server exited with ${code}`)))
  })
  return {
    env: { COD_BENCH_HTTP_URL: url },
    stop: async () => {
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
      child.kill('SIGTERM')
      await exited
    }
  }
}
