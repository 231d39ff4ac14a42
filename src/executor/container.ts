import { randomBytes } from 'node:crypto'
import { pipeline } from 'node:stream/promises'
import type Docker from 'dockerode'
import type { ContainerCreateOptions } from 'dockerode'
import type { JobSpec } from '../spec/job-spec.js'
import type { ResultsLayout } from '../results/layout.js'
import type { Log, StagedInput } from '../storage/types.js'
import { DockerStreamDemuxer, LIVE_ECHO_CAP, StreamCapture, type CapturedStream } from './capture.js'
import { RUN_LABEL } from './engine.js'
import type { PreparedImage } from './image.js'

/** Enough for real work, few enough that a fork bomb stops at the limit. */
export const PIDS_LIMIT = 1024
/** Time between SIGTERM and SIGKILL when the timeout is reached. */
export const STOP_GRACE_SECONDS = 5

export interface ContainerPlan {
  spec: JobSpec
  image: PreparedImage
  inputs: StagedInput[]
  results: ResultsLayout
}

export interface ContainerOutcome {
  exitCode: number
  startedAt: Date
  durationMs: number
  timedOut: boolean
  oomKilled: boolean
  /** Killed or removed by something other than this action (`docker kill`, `docker rm -f` from another step). */
  killedExternally: boolean
  stdout: CapturedStream
  stderr: CapturedStream
}

export interface RunOptions {
  /** Where live output goes; the step log by default. */
  echo?: Echo
  stopGraceSeconds?: number
}

/**
 * The hardened container: no network unless asked, inputs read-only, no
 * capabilities, no privilege gain, bounded pids, memory without extra swap,
 * the runner's uid, and no daemon-side log copy (we capture the streams).
 */
export function containerConfig(plan: ContainerPlan): ContainerCreateOptions {
  const { spec } = plan
  const networkOff = spec.network === 'none'
  return {
    name: `compute-over-data-${spec.runId}`,
    Image: plan.image.id,
    Entrypoint: spec.entrypoint,
    Cmd: spec.command,
    Env: spec.env.map(([name, value]) => `${name}=${value}`),
    WorkingDir: spec.workdir,
    User: spec.user,
    Tty: false,
    OpenStdin: false,
    AttachStdin: false,
    AttachStdout: true,
    AttachStderr: true,
    NetworkDisabled: networkOff,
    Labels: {
      [RUN_LABEL]: spec.runId,
      'compute-over-data.image': spec.image.reference,
      ...(process.env.GITHUB_RUN_ID ? { 'compute-over-data.github-run': process.env.GITHUB_RUN_ID } : {})
    },
    HostConfig: {
      NetworkMode: networkOff ? 'none' : 'bridge',
      Mounts: [
        // Docker mounts parents first, so a single file's bind lands on the mount point in its read-only folder.
        ...plan.inputs.flatMap((input) =>
          [{ hostPath: input.hostPath, mountPath: input.mountPath }, ...(input.file ? [input.file] : [])].map(
            (mount) => ({ Type: 'bind' as const, Source: mount.hostPath, Target: mount.mountPath, ReadOnly: true })
          )
        ),
        ...plan.results.volumes.map((volume) => ({
          Type: 'bind' as const,
          Source: volume.hostPath,
          Target: volume.path,
          ReadOnly: false
        }))
      ],
      CapDrop: ['ALL'],
      SecurityOpt: ['no-new-privileges'],
      PidsLimit: PIDS_LIMIT,
      Memory: spec.memoryBytes,
      MemorySwap: spec.memoryBytes,
      NanoCpus: spec.nanoCpus,
      DeviceRequests:
        spec.gpus > 0 ? [{ Driver: '', Count: spec.gpus, DeviceIDs: [], Capabilities: [['gpu']], Options: {} }] : [],
      LogConfig: { Type: 'none', Config: {} }
    }
  }
}

/**
 * Creates, starts and waits for the container while its output streams live
 * into the step log and into the results files; enforces the timeout; and
 * always removes the container, whatever happened.
 */
export async function runContainer(
  docker: Docker,
  plan: ContainerPlan,
  log: Log,
  options: RunOptions = {}
): Promise<ContainerOutcome> {
  const container = await docker.createContainer(containerConfig(plan))
  const removeContainer = (): Promise<void> =>
    container.remove({ force: true, v: true }).catch((error: { statusCode?: number }) => {
      if (error.statusCode !== 404 && error.statusCode !== 409) throw error
    })
  // A cancelled run (the runner sends SIGINT, then SIGTERM) must not leave the container running.
  const onSignal = (signal: NodeJS.Signals): void => {
    log.warning(`Received ${signal}: removing the container.`)
    void removeContainer().finally(() => process.exit(1))
  }
  process.once('SIGINT', onSignal)
  process.once('SIGTERM', onSignal)
  const echo = options.echo ?? guardedStepLogEcho()
  let stopWatching = (): void => {}
  try {
    const stopped = (name: string) => () =>
      log.info(`(${name} past ${LIVE_ECHO_CAP / 2 ** 20} MiB is kept in the results file only)`)
    const stdout = new StreamCapture(plan.results.stdout, echo.write, stopped('stdout'))
    const stderr = new StreamCapture(plan.results.stderr, echo.write, stopped('stderr'))
    // Attach before start so that no early output is lost.
    const [attached, events] = await Promise.all([
      container.attach({ stream: true, stdout: true, stderr: true }),
      watchContainerEvents(docker, container.id)
    ])
    stopWatching = events.stop
    const streamed = pipeline(attached, new DockerStreamDemuxer({ 1: stdout, 2: stderr }))
    streamed.catch(() => {})
    const startedAt = new Date()
    await container.start()
    let timedOut = false
    const timer =
      plan.spec.timeoutMs === undefined
        ? undefined
        : setTimeout(() => {
            timedOut = true
            log.warning(`Timeout of ${plan.spec.timeoutMs! / 1000} s reached: stopping the container.`)
            void container
              .stop({ t: options.stopGraceSeconds ?? STOP_GRACE_SECONDS })
              .catch(() => {})
              .then(() => container.kill().catch(() => {}))
          }, plan.spec.timeoutMs)
    const waited = (await container.wait()) as { StatusCode: number }
    const durationMs = Date.now() - startedAt.getTime()
    clearTimeout(timer)
    await streamed
    // Nothing to inspect when someone removed the container while it ran.
    const state = await container.inspect().then(
      (info) => info.State,
      (error: { statusCode?: number }) => {
        if (error.statusCode === 404) return undefined
        throw error
      }
    )
    const exitCode = state?.ExitCode ?? waited.StatusCode
    // A signal we did not send is the OOM killer's or another process's; either event may come just after the exit.
    if (exitCode > 128 && !timedOut) await events.settle(1000)
    const oomKilled = state?.OOMKilled === true || events.oom
    return {
      exitCode,
      startedAt,
      durationMs,
      timedOut,
      oomKilled,
      // Gone without a kill event seen: removed (docker rm -f) before the event was read.
      killedExternally: !timedOut && !oomKilled && (events.killed || (state === undefined && exitCode > 128)),
      stdout: await stdout.close(),
      stderr: await stderr.close()
    }
  } finally {
    stopWatching()
    echo.end()
    process.removeListener('SIGINT', onSignal)
    process.removeListener('SIGTERM', onSignal)
    await removeContainer()
  }
}

/**
 * What Docker reports of a container besides its exit. State.OOMKilled is set
 * only when the runtime's OOM event reaches the daemon before the exit event;
 * the daemon's own `oom` event is sent either way, so both are read. A `kill`
 * event is a kill through Docker's API (docker kill, docker stop, docker rm -f),
 * which the exit code alone cannot tell from a signal the job sent itself.
 */
export interface ContainerEvents {
  readonly oom: boolean
  /** Our own stop at the timeout is one too. */
  readonly killed: boolean
  /** Resolves once an OOM or kill event has come, or after `graceMs`. */
  settle: (graceMs: number) => Promise<void>
  stop: () => void
}

export async function watchContainerEvents(docker: Docker, containerId: string): Promise<ContainerEvents> {
  const stream = (await docker.getEvents({
    filters: { container: [containerId], event: ['oom', 'kill'] }
  })) as NodeJS.ReadableStream & { destroy: () => void }
  let oom = false
  let killed = false
  let onEvent = (): void => {}
  // One JSON object a line; a chunk may end inside one.
  let pending = ''
  stream.on('data', (chunk: Buffer) => {
    const lines = (pending + chunk.toString('utf8')).split('\n')
    pending = lines.pop() ?? ''
    for (const line of lines) {
      const action = parseEventAction(line)
      if (action === 'oom') oom = true
      else if (action === 'kill') killed = true
    }
    onEvent()
  })
  stream.on('error', () => {})
  return {
    get oom() {
      return oom
    },
    get killed() {
      return killed
    },
    settle: (graceMs) =>
      oom || killed
        ? Promise.resolve()
        : new Promise((resolve) => {
            const timer = setTimeout(resolve, graceMs)
            onEvent = () => {
              clearTimeout(timer)
              resolve()
            }
          }),
    stop: () => stream.destroy()
  }
}

function parseEventAction(line: string): string | undefined {
  try {
    return (JSON.parse(line) as { Action?: string }).Action
  } catch {
    return undefined
  }
}

export interface Echo {
  write: (chunk: Buffer) => void
  /** Called once, when the container is done or the run failed. */
  end: () => void
}

/**
 * Container output goes into the step log between stop-commands markers, so
 * a hostile container cannot issue workflow commands (::add-mask::,
 * ::set-output::, ...) in the action's name.
 */
function guardedStepLogEcho(): Echo {
  const token = randomBytes(16).toString('hex')
  let lastByte = 10
  process.stdout.write(`::stop-commands::${token}\n`)
  return {
    write: (chunk) => {
      if (chunk.length === 0) return
      process.stdout.write(chunk)
      lastByte = chunk[chunk.length - 1]!
    },
    end: () => process.stdout.write(`${lastByte === 10 ? '' : '\n'}::${token}::\n`)
  }
}

/** Removes every container a run left (the post step, after a cancelled run). */
export async function removeRunContainers(docker: Docker, runId: string): Promise<number> {
  const leftovers = await docker.listContainers({ all: true, filters: { label: [`${RUN_LABEL}=${runId}`] } })
  for (const info of leftovers) {
    await docker.getContainer(info.Id).remove({ force: true, v: true })
  }
  return leftovers.length
}
