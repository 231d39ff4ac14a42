import { isMap, parseDocument } from 'yaml'

/** The parts of action.yml the checks read. */
export interface ActionMetadata {
  inputs?: Record<string, { description?: unknown; required?: unknown; default?: unknown } | null>
  outputs?: Record<string, Record<string, unknown> | null>
  runs?: { using?: unknown; main?: unknown; post?: unknown }
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json }
type Mapping = { [key: string]: Json }

/** A step that runs this action: the local copy, or the published one. */
export function isThisAction(uses: unknown): boolean {
  return uses === './' || (typeof uses === 'string' && /^compute-over-data\/compute-over-data@/.test(uses))
}

// The runner's action_yaml.json gives an output only these keys; any other
// key (e.g. `required`) makes the runner refuse to load the action at all.
const OUTPUT_KEYS = ['description', 'value']

/** What is wrong with action.yml, one message per problem. */
export function checkAction(action: ActionMetadata): string[] {
  const errors: string[] = []
  if (action.runs?.using !== 'node24') errors.push(`runs.using is ${String(action.runs?.using)}, not node24`)
  for (const key of ['main', 'post'] as const) {
    if (action.runs?.[key] !== 'dist/index.js') {
      errors.push(`runs.${key} is ${String(action.runs?.[key])}, not dist/index.js`)
    }
  }
  for (const [kind, entries] of [
    ['input', action.inputs],
    ['output', action.outputs]
  ] as const) {
    for (const [name, entry] of Object.entries(entries ?? {})) {
      const description = entry?.description
      if (typeof description !== 'string' || description.trim() === '')
        errors.push(`${kind} ${name} has no description`)
    }
  }
  for (const [name, entry] of Object.entries(action.outputs ?? {})) {
    for (const key of Object.keys(entry ?? {})) {
      if (!OUTPUT_KEYS.includes(key)) {
        errors.push(`output ${name} has the key "${key}", which the runner refuses (only ${OUTPUT_KEYS.join(', ')})`)
      }
    }
  }
  return errors
}

export interface ActionStep {
  job: string
  id?: string
  with: Record<string, string>
}

/**
 * What is wrong with one workflow as a user of this action: YAML errors,
 * `with:` keys action.yml does not declare, missing required inputs, and
 * references to outputs that do not exist (`steps.<id>.outputs.<name>` of
 * this action, `needs.<job>.outputs.<name>`). Also returns the steps that
 * use this action, for further checks.
 */
export function checkWorkflow(text: string, action: ActionMetadata): { errors: string[]; steps: ActionStep[] } {
  const errors: string[] = []
  const steps: ActionStep[] = []
  const doc = parseDocument(text, { uniqueKeys: true })
  for (const error of doc.errors) errors.push(`YAML: ${error.message.split('\n')[0]!.replace(/:$/, '')}`)
  if (errors.length > 0) return { errors, steps }
  if (!isMap(doc.contents)) return { errors: ['the workflow is not a mapping'], steps }
  const workflow = doc.toJS() as Mapping
  if (!('on' in workflow)) errors.push('the workflow has no "on:" trigger')
  const jobs = asMapping(workflow.jobs)
  if (!jobs || Object.keys(jobs).length === 0) return { errors: [...errors, 'the workflow has no jobs'], steps }

  const inputs = action.inputs ?? {}
  const outputs = Object.keys(action.outputs ?? {})
  const required = Object.entries(inputs)
    .filter(([, spec]) => spec?.required === true && (spec.default === undefined || spec.default === ''))
    .map(([name]) => name)

  for (const [jobId, jobValue] of Object.entries(jobs)) {
    const job = asMapping(jobValue)
    if (!job) {
      errors.push(`job ${jobId} is not a mapping`)
      continue
    }
    const needs = typeof job.needs === 'string' ? [job.needs] : Array.isArray(job.needs) ? job.needs.map(String) : []
    for (const need of needs) if (!(need in jobs)) errors.push(`job ${jobId} needs ${need}, which is not a job`)
    const jobSteps = (Array.isArray(job.steps) ? job.steps : []).map((step) => asMapping(step) ?? {})
    const stepIndex = new Map<string, { index: number; ours: boolean }>()
    jobSteps.forEach((step, index) => {
      if (typeof step.id === 'string') stepIndex.set(step.id, { index, ours: isThisAction(step.uses) })
    })

    const checkReferences = (where: string, value: Json, beforeStep: number | undefined, wholeExpression: boolean) => {
      for (const expression of expressionsIn(value, wholeExpression)) {
        for (const [, id, name] of referencesIn(expression, 'steps')) {
          const step = stepIndex.get(id!)
          if (!step) errors.push(`${where}: steps.${id}.outputs.${name}: job ${jobId} has no step with id ${id}`)
          else if (beforeStep !== undefined && step.index >= beforeStep) {
            errors.push(`${where}: steps.${id}.outputs.${name}: step ${id} has not run yet at this point`)
          } else if (step.ours && !outputs.includes(name!)) {
            errors.push(`${where}: steps.${id}.outputs.${name}: action.yml declares no output ${name}`)
          }
        }
        for (const [, other, name] of referencesIn(expression, 'needs')) {
          const otherJob = asMapping(jobs[other!])
          if (!needs.includes(other!)) {
            errors.push(`${where}: needs.${other}.outputs.${name}: job ${jobId} does not list ${other} in needs`)
          } else if (!otherJob || !(name! in (asMapping(otherJob.outputs) ?? {}))) {
            errors.push(`${where}: needs.${other}.outputs.${name}: job ${other} declares no output ${name}`)
          }
        }
      }
    }

    // Job outputs are read after every step, so they may name any of them.
    checkReferences(`jobs.${jobId}.outputs`, job.outputs ?? null, undefined, false)
    for (const key of ['if', 'env', 'name', 'runs-on', 'strategy', 'container', 'environment'] as const) {
      checkReferences(`jobs.${jobId}.${key}`, job[key] ?? null, 0, key === 'if')
    }
    jobSteps.forEach((step, index) => {
      const where = `jobs.${jobId}.steps[${index}]${typeof step.id === 'string' ? ` (${step.id})` : ''}`
      for (const [key, value] of Object.entries(step)) checkReferences(where, value, index, key === 'if')
      if (!isThisAction(step.uses)) return
      const withValues = asMapping(step.with) ?? {}
      for (const key of Object.keys(withValues)) {
        if (!(key in inputs)) errors.push(`${where}: with.${key} is not an input of action.yml`)
      }
      for (const name of required) {
        if (withValues[name] === undefined || String(withValues[name]).trim() === '') {
          errors.push(`${where}: the required input ${name} is missing`)
        }
      }
      steps.push({
        job: jobId,
        id: typeof step.id === 'string' ? step.id : undefined,
        with: Object.fromEntries(Object.entries(withValues).map(([key, value]) => [key, String(value)]))
      })
    })
  }
  return { errors, steps }
}

function asMapping(value: Json | undefined): Mapping | undefined {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? value : undefined
}

/** Every `${{ … }}` in a value; an `if:` is an expression even without the braces. */
function expressionsIn(value: Json, wholeExpression: boolean): string[] {
  if (typeof value === 'string') {
    const found = [...value.matchAll(/\$\{\{([\s\S]*?)\}\}/g)].map((match) => match[1]!)
    return wholeExpression && found.length === 0 ? [value] : found
  }
  if (Array.isArray(value)) return value.flatMap((item) => expressionsIn(item, false))
  if (value !== null && typeof value === 'object') return Object.values(value).flatMap((v) => expressionsIn(v, false))
  return []
}

/** `<context>.<id>.outputs.<name>`, in dot or bracket form. */
function referencesIn(expression: string, context: 'steps' | 'needs'): string[][] {
  const pattern = new RegExp(
    `\\b${context}\\.([A-Za-z_][\\w-]*)\\.outputs(?:\\.([A-Za-z_][\\w-]*)|\\[\\s*'([^']+)'\\s*\\])`,
    'g'
  )
  return [...expression.matchAll(pattern)].map((match) => [match[0], match[1]!, match[2] ?? match[3]!])
}
