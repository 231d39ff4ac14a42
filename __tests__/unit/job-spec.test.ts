import { describe, expect, it } from '@jest/globals'
import { InputError, parseJobSpec } from '../../src/spec/job-spec.js'
import { actionInputs, testContext } from '../helpers/inputs.js'

const spec = (values: Record<string, string>) =>
  parseJobSpec(actionInputs({ image: 'busybox:1.36', ...values }), testContext)

function errorOf(values: Record<string, string>): InputError {
  try {
    spec(values)
  } catch (error) {
    if (error instanceof InputError) return error
    throw error
  }
  throw new Error(`no error for ${JSON.stringify(values)}`)
}

describe('defaults', () => {
  const parsed = spec({})

  it('runs with no network, as the runner user, keeping the image command', () => {
    expect(parsed.network).toBe('none')
    expect(parsed.user).toBe('1001:127')
    expect(parsed.command).toBeUndefined()
    expect(parsed.entrypoint).toBeUndefined()
  })

  it('has one output volume outputs:/outputs and no inputs', () => {
    expect(parsed.outputs).toEqual([{ name: 'outputs', path: '/outputs' }])
    expect(parsed.inputs).toEqual([])
  })

  it('pulls a tag always and a digest only when missing', () => {
    expect(parsed.pull).toBe('always')
    expect(parsed.pullExplicit).toBe(false)
    const pinned = spec({ image: `busybox@sha256:${'a'.repeat(64)}` })
    expect(pinned.pull).toBe('missing')
    expect(pinned.image.digest).toBe(`sha256:${'a'.repeat(64)}`)
  })

  it('puts results in a fresh folder under RUNNER_TEMP that the action owns', () => {
    expect(parsed.resultsDir).toBe('/home/runner/work/_temp/compute-over-data/test-run/results')
    expect(parsed.resultsDirIsOurs).toBe(true)
    expect(parsed.failOnExitCode).toBe(true)
  })

  it('publishes CIDv0 with pinning and an artifact named results', () => {
    expect(parsed.ipfs).toMatchObject({ cidVersion: 0, pin: true, includeHidden: true, car: false })
    expect(parsed.artifact).toEqual({ name: 'results', overwrite: false })
    expect(parsed.sources.ipfsGateway).toBe('https://trustless-gateway.link')
  })

  it('has no limits unless asked', () => {
    expect([parsed.nanoCpus, parsed.memoryBytes, parsed.timeoutMs, parsed.gpus]).toEqual([
      undefined,
      undefined,
      undefined,
      0
    ])
  })
})

describe('image', () => {
  it.each([
    'busybox',
    'library/busybox:1.36',
    'ghcr.io/owner/repo/tool:v1.2.3',
    'localhost:5000/a/b:latest',
    `python@sha256:${'0'.repeat(64)}`,
    `ghcr.io/o/r:tag@sha256:${'f'.repeat(64)}`
  ])('accepts %s', (image) => {
    expect(spec({ image }).image.reference).toBe(image)
  })

  it.each(['', 'UPPER/case', 'busybox:', 'a b', 'busybox@sha256:short', 'busybox:tag:tag', '-leading'])(
    'refuses "%s" naming the input',
    (image) => {
      const error = errorOf({ image })
      expect(error.input).toBe('image')
      expect(error.message).toMatch(/^Input 'image': /)
    }
  )
})

describe('command, run and entrypoint', () => {
  it('splits command into exec-form words with quotes', () => {
    expect(spec({ command: `python main.py --name "a b" 'c $HOME'` }).command).toEqual([
      'python',
      'main.py',
      '--name',
      'a b',
      'c $HOME'
    ])
  })

  it('keeps variables and globs literal, since no shell runs', () => {
    expect(spec({ command: 'ls $HOME *.csv' }).command).toEqual(['ls', '$HOME', '*.csv'])
  })

  it.each(['a && b', 'a | b', 'a; b', 'a > out', 'a < in', 'sleep 1 &', 'a || b', 'echo $(id)'])(
    'refuses the shell operator in "%s" with a hint to use run',
    (command) => {
      const error = errorOf({ command })
      expect(error.input).toBe('command')
      expect(error.message).toMatch(/'run'/)
    }
  )

  it('allows an operator inside quotes', () => {
    expect(spec({ command: `echo "a && b" 'x|y'` }).command).toEqual(['echo', 'a && b', 'x|y'])
  })

  it.each([`echo "unclosed`, `echo 'unclosed`, 'echo trailing\\'])('refuses unbalanced quoting in %s', (command) => {
    expect(errorOf({ command }).message).toMatch(/^Input 'command': cannot split .* check the quotes/)
  })

  it('refuses a # comment in exec form', () => {
    expect(errorOf({ command: 'echo hi # note' }).input).toBe('command')
  })

  it('passes run to sh -c, keeping the whole script', () => {
    const script = 'set -e\necho "$HOME" | wc -c > /outputs/n'
    expect(spec({ run: script })).toMatchObject({ entrypoint: ['sh', '-c'], command: [script] })
  })

  it('runs the script with the shell named by entrypoint', () => {
    expect(spec({ run: 'echo hi', entrypoint: 'bash -e' })).toMatchObject({
      entrypoint: ['bash', '-e', '-c'],
      command: ['echo hi']
    })
  })

  it('refuses command and run together', () => {
    const error = errorOf({ command: 'echo a', run: 'echo b' })
    expect(error.message).toMatch(/together with 'command'/)
  })

  it('parses entrypoint as shell words; empty keeps the image one', () => {
    expect(spec({ entrypoint: '/bin/tool --flag "x y"' }).entrypoint).toEqual(['/bin/tool', '--flag', 'x y'])
    expect(spec({ entrypoint: '' }).entrypoint).toBeUndefined()
    expect(errorOf({ entrypoint: 'a | b' }).input).toBe('entrypoint')
  })
})

describe('env', () => {
  it('reads NAME=VALUE lines, keeping = in values and skipping comments', () => {
    expect(spec({ env: 'A=1\n# comment\n\nB_2=x=y\n_C=' }).env).toEqual([
      ['A', '1'],
      ['B_2', 'x=y'],
      ['_C', '']
    ])
  })

  it.each([
    ['NOEQUALS', /has no "="/],
    ['=value', /not a valid variable name/],
    ['1A=x', /not a valid variable name/],
    ['A-B=x', /not a valid variable name/],
    ['A=1\nA=2', /set twice/]
  ])('refuses %j', (env, message) => {
    const error = errorOf({ env })
    expect(error.input).toBe('env')
    expect(error.message).toMatch(message)
  })
})

describe('workdir, network, user, pull, gpu and flags', () => {
  it('takes an absolute workdir', () => {
    expect(spec({ workdir: '/work/./dir' }).workdir).toBe('/work/dir')
    expect(errorOf({ workdir: 'relative' }).input).toBe('workdir')
  })

  it('takes none or full (any case) for network', () => {
    expect(spec({ network: 'FULL' }).network).toBe('full')
    expect(errorOf({ network: 'host' }).message).toMatch(/not one of none, full/)
  })

  it('takes uid[:gid] or names for user', () => {
    expect(spec({ user: '0:0' }).user).toBe('0:0')
    expect(spec({ user: 'nobody' }).user).toBe('nobody')
    expect(errorOf({ user: 'a:b:c' }).input).toBe('user')
    expect(errorOf({ user: '-1' }).input).toBe('user')
  })

  it('takes always, missing or never for pull', () => {
    expect(spec({ pull: 'never' })).toMatchObject({ pull: 'never', pullExplicit: true })
    expect(errorOf({ pull: 'sometimes' }).input).toBe('pull')
  })

  it('takes a whole GPU count', () => {
    expect(spec({ gpu: '2' }).gpus).toBe(2)
    expect(errorOf({ gpu: '1.5' }).input).toBe('gpu')
    expect(errorOf({ gpu: '-1' }).input).toBe('gpu')
    expect(errorOf({ gpu: '1000' }).input).toBe('gpu')
  })

  it('reads booleans as the YAML core schema does', () => {
    expect(spec({ 'fail-on-exit-code': 'False' }).failOnExitCode).toBe(false)
    expect(errorOf({ 'fail-on-exit-code': 'no' }).input).toBe('fail-on-exit-code')
    expect(errorOf({ pin: 'yes' }).input).toBe('pin')
  })

  it('resolves a results-dir relative to the workspace and does not claim it', () => {
    expect(spec({ 'results-dir': 'out/results' })).toMatchObject({
      resultsDir: '/home/runner/work/repo/repo/out/results',
      resultsDirIsOurs: false
    })
  })
})

describe('limits', () => {
  it.each([
    ['1.5', 1.5e9],
    ['500m', 5e8],
    ['2', 2e9],
    ['.25', 2.5e8]
  ])('reads cpu %s', (cpu, nanoCpus) => {
    expect(spec({ cpu }).nanoCpus).toBe(nanoCpus)
  })

  it.each([
    ['512Mb', 512e6],
    ['512Mi', 512 * 2 ** 20],
    ['2Gi', 2 * 2 ** 30],
    ['1GB', 1e9],
    ['64mib', 64 * 2 ** 20]
  ])('reads memory %s', (memory, bytes) => {
    expect(spec({ memory }).memoryBytes).toBe(bytes)
  })

  it.each([
    ['600', 600_000],
    ['1.5', 1500],
    ['10m', 600_000],
    ['1h30m', 5_400_000],
    ['45s', 45_000],
    ['250ms', 250]
  ])('reads timeout %s', (timeout, ms) => {
    expect(spec({ timeout }).timeoutMs).toBe(ms)
  })

  it.each([
    ['cpu', '-1'],
    ['cpu', '0'],
    ['cpu', 'abc'],
    ['cpu', '5000'],
    ['cpu', '1m'],
    ['memory', '-5Mi'],
    ['memory', '0'],
    ['memory', 'lots'],
    ['memory', '1Ki'],
    ['memory', '999Ti'],
    ['memory', '5 parsecs'],
    ['timeout', '-1'],
    ['timeout', '0'],
    ['timeout', 'soon'],
    ['timeout', '30d'],
    ['timeout', '999h'],
    ['max-input-size', '0'],
    ['retention-days', '91'],
    ['retention-days', '0'],
    ['compression-level', '10'],
    ['cid-version', '2']
  ])('refuses %s=%s naming the input', (input, value) => {
    const error = errorOf({ [input]: value })
    expect(error.input).toBe(input)
    expect(error.message.startsWith(`Input '${input}': `)).toBe(true)
  })
})

describe('outputs', () => {
  it('reads several name:/path volumes', () => {
    expect(spec({ outputs: 'outputs:/outputs\nmodels:/data/models' }).outputs).toEqual([
      { name: 'outputs', path: '/outputs' },
      { name: 'models', path: '/data/models' }
    ])
  })

  it.each([
    ['nocolon', /not NAME:\/PATH/],
    ['a/b:/x', /not a simple name/],
    ['..:/x', /not a simple name/],
    ['a..b:/x', /not a simple name/],
    [':/x', /not a simple name/],
    ['out:relative', /must be an absolute path/],
    ['out:/a/../b', /must not contain "\.\."/],
    ['out:/', /reserved system path/],
    ['out:/proc/x', /reserved system path/],
    ['stdout:/x', /reserved for the results folder/],
    ['exitCode:/x', /reserved for the results folder/],
    ['a:/x\na:/y', /used twice/],
    ['a:/x\nb:/x/y', /overlaps/]
  ])('refuses %j', (outputs, message) => {
    const error = errorOf({ outputs })
    expect(error.input).toBe('outputs')
    expect(error.message).toMatch(message)
  })
})

describe('ipfs-api-headers and URLs', () => {
  it('reads Name: value headers', () => {
    expect(spec({ 'ipfs-api-headers': 'Authorization: Bearer abc\nX-Key: k:v' }).ipfs.headers).toEqual([
      ['Authorization', 'Bearer abc'],
      ['X-Key', 'k:v']
    ])
  })

  it('names a bad header line without echoing its secret value', () => {
    const error = errorOf({ 'ipfs-api-headers': 'Bad Header: s3cr3t-value' })
    expect(error.input).toBe('ipfs-api-headers')
    expect(error.message).not.toContain('s3cr3t-value')
  })

  it.each(['ipfs-api', 'ipfs-gateway', 's3-endpoint', 'ipfs-gateway-url'])('refuses a non-URL %s', (input) => {
    expect(errorOf({ [input]: 'not a url' }).input).toBe(input)
    expect(errorOf({ [input]: 'ftp://host' }).input).toBe(input)
  })

  it('disables the artifact with an empty name and refuses bad characters', () => {
    expect(spec({ 'artifact-name': '' }).artifact.name).toBeUndefined()
    expect(errorOf({ 'artifact-name': 'a/b' }).input).toBe('artifact-name')
  })
})
