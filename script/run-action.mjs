// Runs the action the way the GitHub runner runs a node action: every input
// from action.yml (with its default) as an INPUT_* variable, the file
// commands (GITHUB_OUTPUT, GITHUB_STATE, GITHUB_STEP_SUMMARY, ...), the main
// entry, then the post entry with the saved state as STATE_* variables.
// Used by the end-to-end tests and by `npm run example`.
import { spawn } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { parse as parseYaml } from 'yaml'

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')

/** Parses a file-command file: `name<<delimiter\nvalue\ndelimiter` or `name=value` lines. */
export function parseFileCommands(text) {
  const values = {}
  const lines = text.split('\n')
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]
    const heredoc = /^([^=<]+)<<(.+)$/.exec(line)
    if (heredoc) {
      const [, name, delimiter] = heredoc
      const value = []
      while (++i < lines.length && lines[i] !== delimiter) value.push(lines[i])
      values[name] = value.join('\n')
    } else if (line.includes('=')) {
      values[line.slice(0, line.indexOf('='))] = line.slice(line.indexOf('=') + 1)
    }
  }
  return values
}

function runNode(node, script, env, cwd, echo, cancelWhen, cancelSignal = 'SIGINT') {
  return new Promise((resolve, reject) => {
    const child = spawn(node, [script], { env, cwd, stdio: ['ignore', 'pipe', 'pipe'] })
    let log = ''
    let cancelled = false
    const collect = (chunk) => {
      log += chunk
      if (echo) process.stdout.write(chunk)
      // The runner cancels a step with SIGINT (then SIGTERM): do the same once the log shows `cancelWhen`.
      if (cancelWhen && !cancelled && log.includes(cancelWhen)) {
        cancelled = true
        child.kill(cancelSignal)
      }
    }
    child.stdout.on('data', collect)
    child.stderr.on('data', collect)
    child.on('error', reject)
    child.on('close', (code) => resolve({ code, log }))
  })
}

/**
 * @param {object} options
 * @param {Record<string,string>} options.inputs  `with:` values; others take action.yml's defaults
 * @param {string} options.workspace  GITHUB_WORKSPACE
 * @param {string} options.runnerTemp  RUNNER_TEMP
 * @param {string} [options.actionDir]  folder holding action.yml and dist/ (the repo by default)
 * @param {Record<string,string>} [options.env]  extra environment
 * @param {string} [options.node]  the Node binary (the runner uses the version action.yml names)
 * @param {boolean} [options.echo]  copy the step log to this process's stdout
 * @param {string} [options.cancelWhen]  cancel the main step (SIGINT) once its log contains this text
 * @param {string} [options.cancelSignal]  the signal that cancels it (SIGINT unless given)
 * @param {(main: object) => Promise<void>} [options.afterMain]  called between the main and the post step
 */
export async function runAction({
  inputs,
  workspace,
  runnerTemp,
  actionDir = repoRoot,
  env = {},
  node = process.execPath,
  echo = false,
  cancelWhen,
  cancelSignal,
  afterMain
}) {
  const action = parseYaml(fs.readFileSync(path.join(actionDir, 'action.yml'), 'utf8'))
  for (const name of Object.keys(inputs)) {
    if (!(name in action.inputs)) throw new Error(`action.yml has no input named ${name}`)
  }
  const commands = fs.mkdtempSync(path.join(runnerTemp, '_runner_file_commands-'))
  const files = {}
  for (const name of ['GITHUB_OUTPUT', 'GITHUB_STATE', 'GITHUB_STEP_SUMMARY', 'GITHUB_ENV', 'GITHUB_PATH']) {
    files[name] = path.join(commands, name.toLowerCase())
    fs.writeFileSync(files[name], '')
  }
  const inputEnv = {}
  for (const [name, spec] of Object.entries(action.inputs)) {
    // The runner evaluates expressions in defaults; the one action.yml uses is the job's token.
    const fallback = String(spec.default ?? '').replace('${{ github.token }}', env.GITHUB_TOKEN ?? '')
    const value = inputs[name] ?? fallback
    inputEnv[`INPUT_${name.replace(/ /g, '_').toUpperCase()}`] = value
  }
  const base = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    ...(process.env.DOCKER_HOST ? { DOCKER_HOST: process.env.DOCKER_HOST } : {}),
    GITHUB_ACTIONS: 'true',
    CI: 'true',
    GITHUB_WORKSPACE: workspace,
    RUNNER_TEMP: runnerTemp,
    GITHUB_RUN_ID: '1',
    GITHUB_REPOSITORY: 'owner/repo',
    GITHUB_SERVER_URL: 'https://github.com',
    ...files,
    ...env
  }
  const entry = (key) => path.join(actionDir, action.runs[key])
  const main = await runNode(node, entry('main'), { ...base, ...inputEnv }, workspace, echo, cancelWhen, cancelSignal)
  const fileCommands = Object.fromEntries(
    Object.entries(files).map(([name, file]) => [name, fs.readFileSync(file, 'utf8')])
  )
  const state = parseFileCommands(fileCommands.GITHUB_STATE)
  if (afterMain) {
    await afterMain({
      exitCode: main.code,
      log: main.log,
      outputs: parseFileCommands(fileCommands.GITHUB_OUTPUT),
      state,
      fileCommands
    })
  }
  const stateEnv = Object.fromEntries(Object.entries(state).map(([k, v]) => [`STATE_${k}`, v]))
  const post = await runNode(node, entry('post'), { ...base, ...inputEnv, ...stateEnv }, workspace, echo)
  const result = {
    exitCode: main.code,
    postExitCode: post.code,
    log: main.log,
    postLog: post.log,
    outputs: parseFileCommands(fs.readFileSync(files.GITHUB_OUTPUT, 'utf8')),
    state,
    summary: fs.readFileSync(files.GITHUB_STEP_SUMMARY, 'utf8'),
    // Every file command as written after the post step, for checks that read them whole.
    fileCommands: Object.fromEntries(Object.entries(files).map(([name, file]) => [name, fs.readFileSync(file, 'utf8')]))
  }
  fs.rmSync(commands, { recursive: true, force: true })
  return result
}
