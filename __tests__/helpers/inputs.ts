import fs from 'node:fs'
import { parse } from 'yaml'
import type { ReadInput, RunnerContext } from '../../src/spec/job-spec.js'

const action = parse(fs.readFileSync('action.yml', 'utf8')) as {
  inputs: Record<string, { default?: string }>
}

/** Reads inputs as the runner provides them: the given values over action.yml's defaults. */
export function actionInputs(values: Record<string, string>): ReadInput {
  for (const name of Object.keys(values)) {
    if (!(name in action.inputs)) throw new Error(`action.yml has no input ${name}`)
  }
  return (name) => {
    if (!(name in action.inputs)) throw new Error(`the code reads ${name}, which action.yml does not declare`)
    return values[name] ?? action.inputs[name]?.default ?? ''
  }
}

export const testContext: RunnerContext = {
  workspace: '/home/runner/work/repo/repo',
  runnerTemp: '/home/runner/work/_temp',
  uid: 1001,
  gid: 127,
  runId: 'test-run'
}
