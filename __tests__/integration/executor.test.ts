import fs from 'node:fs'
import path from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals'
import Docker from 'dockerode'
import { watchContainerEvents } from '../../src/executor/container.js'
import { ARM64_IMAGE, BUSYBOX_IMAGE } from '../servers/images.js'
import { jobSandbox, readText as read } from '../helpers/job.js'

const docker = new Docker()
const sandbox = jobSandbox('executor')
const { job, root, workspace } = sandbox

beforeAll(() => {
  fs.mkdirSync(path.join(workspace, 'data'), { recursive: true })
  fs.writeFileSync(path.join(workspace, 'data', 'numbers.txt'), '1\n2\n3\n')
})

afterAll(() => sandbox.cleanup())

// No test may leave a container behind, whatever it did.
afterEach(async () => expect(await sandbox.leftoverContainers()).toEqual([]))

describe('results folder', () => {
  it('separates stdout from stderr, keeps the exit code and writes it bare', async () => {
    const outcome = await job({ run: 'echo to-out; echo to-err >&2; exit 3' })
    expect(read(outcome.results.stdout)).toBe('to-out\n')
    expect(read(outcome.results.stderr)).toBe('to-err\n')
    expect(outcome.container.exitCode).toBe(3)
    expect(read(outcome.results.exitCode)).toBe('3')
    expect(outcome.live).toContain('to-out')
    expect(outcome.live).toContain('to-err')
  })

  it('keeps exit code 0 and the Bacalhau layout', async () => {
    const outcome = await job({ command: 'true' })
    expect(read(outcome.results.exitCode)).toBe('0')
    expect(fs.readdirSync(outcome.results.dir).sort()).toEqual(['exitCode', 'outputs', 'stderr', 'stdout'])
  })

  it('puts output files in one folder per volume, owned by the runner', async () => {
    const outcome = await job({
      outputs: 'outputs:/outputs\nmodels:/data/models',
      run: 'echo a > /outputs/a.txt && mkdir /data/models/m && echo b > /data/models/m/b.txt'
    })
    const a = path.join(outcome.results.dir, 'outputs', 'a.txt')
    const b = path.join(outcome.results.dir, 'models', 'm', 'b.txt')
    expect(read(a)).toBe('a\n')
    expect(read(b)).toBe('b\n')
    expect(fs.statSync(a).uid).toBe(process.getuid!())
    expect(fs.statSync(b).uid).toBe(process.getuid!())
  })

  it('runs as another user when asked, and that user can write its outputs', async () => {
    const outcome = await job({ user: '4321:4321', run: 'id -u; echo x > /outputs/x' })
    expect(read(outcome.results.stdout)).toBe('4321\n')
    expect(fs.statSync(path.join(outcome.results.dir, 'outputs', 'x')).uid).toBe(4321)
  })

  it('refuses a results-dir that already holds files, and leaves them alone', async () => {
    const dir = path.join(root, 'occupied')
    fs.mkdirSync(dir)
    fs.writeFileSync(path.join(dir, 'keep.txt'), 'mine')
    await expect(job({ command: 'true', 'results-dir': dir })).rejects.toThrow(/^Input 'results-dir': .* is not empty/)
    expect(read(path.join(dir, 'keep.txt'))).toBe('mine')
  })

  it('applies env, workdir and entrypoint', async () => {
    const outcome = await job({
      env: 'GREETING=hello world\nEMPTY=',
      workdir: '/tmp',
      entrypoint: 'sh -c',
      command: `'echo "$GREETING|$EMPTY|$(pwd)"'`
    })
    expect(read(outcome.results.stdout)).toBe('hello world||/tmp\n')
  })
})

describe('inputs', () => {
  it('mounts a workspace folder read-only at /inputs', async () => {
    const outcome = await job({
      inputs: 'data',
      run: 'cat /inputs/numbers.txt; touch /inputs/new 2>&1 || echo write-refused; rm /inputs/numbers.txt 2>&1 || echo rm-refused'
    })
    const stdout = read(outcome.results.stdout)
    expect(stdout).toMatch(/^1\n2\n3\n/)
    expect(stdout).toContain('write-refused')
    expect(stdout).toContain('rm-refused')
    expect(fs.readdirSync(path.join(workspace, 'data'))).toEqual(['numbers.txt'])
  })

  it('mounts a single file inside the target, or at it when the target names a file', async () => {
    const outcome = await job({
      inputs: 'data/numbers.txt:/in\ndata/numbers.txt:/named/input.txt',
      run: 'wc -l < /in/numbers.txt; wc -l < /named/input.txt'
    })
    expect(read(outcome.results.stdout)).toBe('3\n3\n')
  })

  it('binds a single file as it is (its own inode, no copy) inside a read-only folder', async () => {
    const outcome = await job({
      inputs: 'data/numbers.txt:/in',
      run: 'stat -c %i /in/numbers.txt; touch /in/new 2>/dev/null && echo folder-writable; echo 4 >> /in/numbers.txt 2>/dev/null && echo file-writable; true'
    })
    expect(read(outcome.results.stdout)).toBe(`${fs.statSync(path.join(workspace, 'data', 'numbers.txt')).ino}\n`)
    expect(read(path.join(workspace, 'data', 'numbers.txt'))).toBe('1\n2\n3\n')
  })

  it('refuses a workspace symlink that points outside the workspace', async () => {
    fs.symlinkSync('/etc', path.join(workspace, 'escape'))
    try {
      await expect(job({ inputs: 'escape', command: 'true' })).rejects.toThrow(/outside GITHUB_WORKSPACE/)
    } finally {
      fs.unlinkSync(path.join(workspace, 'escape'))
    }
  })
})

describe('limits', () => {
  it('stops and kills the container at the timeout and keeps partial results', async () => {
    const started = Date.now()
    const outcome = await job({ timeout: '2s', run: 'echo before; echo partial > /outputs/p; sleep 600; echo after' })
    expect(outcome.container.timedOut).toBe(true)
    expect(Date.now() - started).toBeLessThan(60_000)
    expect(read(outcome.results.stdout)).toBe('before\n')
    expect(read(path.join(outcome.results.dir, 'outputs', 'p'))).toBe('partial\n')
    expect(outcome.container.exitCode).not.toBe(0)
  })

  it('reports an OOM kill', async () => {
    const outcome = await job({
      memory: '16Mi',
      run: 'x=a; while true; do x="$x$x"; done'
    })
    expect(outcome.container.oomKilled).toBe(true)
    expect(outcome.container.exitCode).toBe(137)
  })

  /** Runs a bare container under watchContainerEvents and returns what it saw after `graceMs`. */
  async function eventsOf(
    config: Pick<Docker.ContainerCreateOptions, 'Entrypoint' | 'Cmd' | 'HostConfig'>,
    graceMs: number,
    whileRunning: (container: Docker.Container) => Promise<unknown> = async () => {}
  ): Promise<{ oom: boolean; killed: boolean }> {
    const container = await docker.createContainer({ Image: BUSYBOX_IMAGE, ...config })
    try {
      const events = await watchContainerEvents(docker, container.id)
      try {
        await container.start()
        await whileRunning(container)
        await container.wait()
        await events.settle(graceMs)
        return { oom: events.oom, killed: events.killed }
      } finally {
        events.stop()
      }
    } finally {
      await container.remove({ force: true })
    }
  }

  it("sees the daemon's oom event, which does not race the exit as State.OOMKilled can", async () => {
    const events = await eventsOf(
      {
        Entrypoint: ['sh', '-c', 'x=a; while true; do x="$x$x"; done'],
        HostConfig: { Memory: 16 * 2 ** 20, MemorySwap: 16 * 2 ** 20, NetworkMode: 'none' }
      },
      5000
    )
    expect(events).toEqual({ oom: true, killed: false })
  })

  it('sees the kill event of a docker kill from outside', async () => {
    const events = await eventsOf({ Cmd: ['sleep', '60'], HostConfig: { NetworkMode: 'none' } }, 5000, (container) =>
      container.kill()
    )
    expect(events).toEqual({ oom: false, killed: true })
  })

  it('sees no oom or kill event for a container that just exits', async () => {
    const events = await eventsOf({ Cmd: ['true'], HostConfig: { NetworkMode: 'none' } }, 500)
    expect(events).toEqual({ oom: false, killed: false })
  })

  it('sets the cpu, memory and pids limits in the container cgroup', async () => {
    const outcome = await job({
      cpu: '500m',
      memory: '64Mi',
      run: 'cat /sys/fs/cgroup/memory/memory.limit_in_bytes /sys/fs/cgroup/memory.max /sys/fs/cgroup/pids/pids.max /sys/fs/cgroup/pids.max 2>/dev/null; true'
    })
    const values = read(outcome.results.stdout).trim().split('\n')
    expect(values).toEqual([String(64 * 2 ** 20), '1024'])
  })
})

describe('images', () => {
  it('fails before the run when the image is missing and pull is never', async () => {
    await expect(job({ image: 'cod-test/not-here:1', command: 'true' })).rejects.toThrow(
      /^Input 'image': cod-test\/not-here:1 is not on the runner and pull is 'never'/
    )
  })

  it('fails before the run when the image is for another architecture, with advice', async () => {
    await expect(job({ image: ARM64_IMAGE, command: 'true' })).rejects.toThrow(
      /built for linux\/arm64, but this runner's Docker engine runs linux\/amd64\. Rebuild or re-tag the image for linux\/amd64/
    )
  })

  it('records the image ID as the digest of a locally built image', async () => {
    const outcome = await job({ command: 'true' })
    const inspected = await docker.getImage(BUSYBOX_IMAGE).inspect()
    expect(outcome.image.digest).toBe(inspected.Id)
  })
})
