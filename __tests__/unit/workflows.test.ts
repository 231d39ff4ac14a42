import fs from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from '@jest/globals'
import MarkdownIt from 'markdown-it'
import { parse, stringify } from 'yaml'
import { parseJobSpec } from '../../src/spec/job-spec.js'
import { actionInputs, testContext } from '../helpers/inputs.js'
import { checkAction, checkWorkflow, type ActionMetadata } from '../helpers/workflow-check.js'

// Every workflow this repository ships (CI and the examples users copy) is
// checked against action.yml, the way the runner would read them, so that a
// renamed input or output cannot leave a workflow silently broken.

const action = parse(fs.readFileSync('action.yml', 'utf8')) as ActionMetadata

const workflowFiles = ['.github/workflows', 'examples/workflows'].flatMap((dir) =>
  fs
    .readdirSync(dir)
    .filter((name) => /\.ya?ml$/.test(name))
    .map((name) => path.join(dir, name))
)

const SAMPLE_CID = 'bafybeigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55fbzdi'

/**
 * A with: block as the runner would pass it, expressions replaced by values
 * of the right shape, so the action's own parser can check it.
 */
function withPlaceholders(values: Record<string, string>): Record<string, string> {
  const urlInputs = ['ipfs-api', 'ipfs-gateway', 'ipfs-gateway-url', 's3-endpoint']
  return Object.fromEntries(
    Object.entries(values).map(([name, value]) => [
      name,
      value.replace(/\$\{\{([\s\S]*?)\}\}/g, (_, expression: string) =>
        urlInputs.includes(name)
          ? 'https://ipfs.example.com'
          : /\bcid\b/.test(expression)
            ? SAMPLE_CID
            : /number/.test(expression)
              ? '7'
              : 'placeholder'
      )
    ])
  )
}

describe('action.yml', () => {
  it('runs dist/index.js on node24 and describes every input and output', () => {
    expect(checkAction(action)).toEqual([])
  })

  it('would be refused when broken', () => {
    const broken: ActionMetadata = {
      inputs: { image: { required: true }, run: { description: '  ' } },
      outputs: { cid: { description: 'The CID.', required: false } },
      runs: { using: 'node20', main: 'lib/main.js' }
    }
    expect(checkAction(broken)).toEqual([
      'runs.using is node20, not node24',
      'runs.main is lib/main.js, not dist/index.js',
      'runs.post is undefined, not dist/index.js',
      'input image has no description',
      'input run has no description',
      'output cid has the key "required", which the runner refuses (only description, value)'
    ])
  })
})

describe('the workflows in this repository', () => {
  it('includes CI and the three examples', () => {
    expect(workflowFiles).toEqual(
      expect.arrayContaining([
        '.github/workflows/ci.yml',
        'examples/workflows/pr-comment.yml',
        'examples/workflows/nightly-s3.yml',
        'examples/workflows/chained-cid.yml'
      ])
    )
  })

  it.each(workflowFiles)('%s uses only declared inputs and outputs', (file) => {
    const { errors } = checkWorkflow(fs.readFileSync(file, 'utf8'), action)
    expect(errors).toEqual([])
  })

  it.each(workflowFiles)("%s passes the action's own input parser", (file) => {
    const { steps } = checkWorkflow(fs.readFileSync(file, 'utf8'), action)
    for (const step of steps) {
      expect(() => parseJobSpec(actionInputs(withPlaceholders(step.with)), testContext)).not.toThrow()
    }
  })

  it('every example uses the action, and the README links to each', () => {
    const readme = fs.readFileSync('README.md', 'utf8')
    for (const file of workflowFiles.filter((f) => f.startsWith('examples/'))) {
      expect(checkWorkflow(fs.readFileSync(file, 'utf8'), action).steps.length).toBeGreaterThan(0)
      // Compared as a name, so a failure names the file, not the whole README.
      expect(readme.includes(`](${file})`) ? file : `no README link to ${file}`).toBe(file)
    }
  })

  it('the examples show what the README promises', () => {
    const read = (name: string) => checkWorkflow(fs.readFileSync(`examples/workflows/${name}`, 'utf8'), action)
    const pr = parse(fs.readFileSync('examples/workflows/pr-comment.yml', 'utf8')) as {
      on: Record<string, unknown>
      jobs: Record<string, { permissions?: Record<string, string> }>
    }
    expect(Object.keys(pr.on)).toEqual(['pull_request'])
    expect(Object.values(pr.jobs)[0]!.permissions?.['pull-requests']).toBe('write')
    expect(read('pr-comment.yml').steps[0]!.with.comment).toBe('update')

    const nightly = read('nightly-s3.yml').steps[0]!.with
    expect(nightly.inputs).toMatch(/^src=s3:\/\/[^,]+\/,dst=\/data,opt=region=/)
    expect(nightly['ipfs-api-headers']).toContain('Authorization: Bearer ${{ secrets.PIN_TOKEN }}')

    const chained = read('chained-cid.yml').steps
    expect(chained.map((s) => s.job)).toEqual(['first', 'second'])
    expect(chained[1]!.with.inputs).toContain('ipfs://${{ needs.first.outputs.cid }}')
  })
})

/**
 * The README's YAML snippets that use the action, each made a whole workflow
 * (a list of steps or a `jobs:` map, given a trigger) for the same checks.
 */
function readmeSnippets(): Array<[title: string, workflow: string]> {
  const blocks = new MarkdownIt()
    .parse(fs.readFileSync('README.md', 'utf8'), {})
    .filter((token) => token.type === 'fence' && token.info.trim() === 'yaml')
    .filter((token) => token.content.includes('compute-over-data/compute-over-data@'))
  return blocks.map((token) => {
    const snippet = parse(token.content) as unknown
    const jobs = Array.isArray(snippet)
      ? { snippet: { 'runs-on': 'ubuntu-latest', steps: snippet } }
      : (snippet as { jobs: unknown }).jobs
    return [`README line ${token.map![0] + 1}`, stringify({ on: 'push', jobs })]
  })
}

describe("the README's snippets", () => {
  const snippets = readmeSnippets()

  it('include the quick start, the comment, registry and pinning examples', () => {
    expect(snippets.length).toBeGreaterThanOrEqual(5)
  })

  it.each(snippets)("%s uses only declared inputs and passes the action's input parser", (_title, workflow) => {
    const { errors, steps } = checkWorkflow(workflow, action)
    expect(errors).toEqual([])
    expect(steps.length).toBeGreaterThan(0)
    for (const step of steps) {
      expect(() => parseJobSpec(actionInputs(withPlaceholders(step.with)), testContext)).not.toThrow()
    }
  })
})

describe('the workflow check', () => {
  const valid = `
on: push
jobs:
  first:
    runs-on: ubuntu-latest
    outputs:
      cid: \${{ steps.job.outputs.cid }}
    steps:
      - id: job
        uses: ./
        with:
          image: busybox:1.36
      - run: echo "\${{ steps.job.outputs['exit-code'] }}"
        if: steps.job.outputs.cid != ''
  second:
    needs: [first]
    runs-on: ubuntu-latest
    steps:
      - uses: compute-over-data/compute-over-data@v0
        with:
          image: busybox:1.36
          inputs: ipfs://\${{ needs.first.outputs.cid }}:/inputs
`

  it('accepts a correct workflow', () => {
    const { errors, steps } = checkWorkflow(valid, action)
    expect(errors).toEqual([])
    expect(steps.map((s) => s.job)).toEqual(['first', 'second'])
  })

  it('finds every mistake in a broken one', () => {
    const broken = `
on: push
jobs:
  first:
    runs-on: ubuntu-latest
    outputs:
      cid: \${{ steps.job.outputs.cids }}
    steps:
      - run: echo \${{ steps.job.outputs.cid }}
      - id: job
        uses: ./
        with:
          command: ls
          artifact: results
      - run: echo "\${{ steps.nope.outputs.cid }}"
        if: steps.job.outputs['exit_code'] == '0'
  second:
    needs: first
    runs-on: ubuntu-latest
    steps:
      - uses: ./
        with:
          image: busybox:1.36
          inputs: ipfs://\${{ needs.first.outputs.root }}:/inputs
          env: A=\${{ needs.third.outputs.cid }}
`
    expect(checkWorkflow(broken, action).errors).toEqual([
      'jobs.first.outputs: steps.job.outputs.cids: action.yml declares no output cids',
      'jobs.first.steps[0]: steps.job.outputs.cid: step job has not run yet at this point',
      'jobs.first.steps[1] (job): with.artifact is not an input of action.yml',
      'jobs.first.steps[1] (job): the required input image is missing',
      'jobs.first.steps[2]: steps.nope.outputs.cid: job first has no step with id nope',
      'jobs.first.steps[2]: steps.job.outputs.exit_code: action.yml declares no output exit_code',
      'jobs.second.steps[0]: needs.first.outputs.root: job first declares no output root',
      'jobs.second.steps[0]: needs.third.outputs.cid: job second does not list third in needs'
    ])
  })

  it('reports YAML errors, duplicate keys and a missing trigger', () => {
    expect(checkWorkflow('on: push\njobs:\n  a: [unclosed\n', action).errors[0]).toMatch(/^YAML: /)
    expect(checkWorkflow('on: push\non: pull_request\njobs: {}\n', action).errors).toEqual([
      'YAML: Map keys must be unique at line 2, column 1'
    ])
    expect(checkWorkflow('jobs:\n  a:\n    needs: b\n    steps: []\n', action).errors).toEqual([
      'the workflow has no "on:" trigger',
      'job a needs b, which is not a job'
    ])
  })

  it("catches an input the action's parser refuses", () => {
    const { steps } = checkWorkflow(
      'on: push\njobs:\n  a:\n    steps:\n      - uses: ./\n        with:\n          image: busybox\n          memory: lots\n',
      action
    )
    expect(() => parseJobSpec(actionInputs(withPlaceholders(steps[0]!.with)), testContext)).toThrow(/'memory'/)
  })
})
