import { describe, expect, it } from '@jest/globals'
import { InputError, parseJobSpec } from '../../src/spec/job-spec.js'
import { actionInputs, testContext } from '../helpers/inputs.js'

const CID_V0 = 'QmT78zSuBmuS4z925WZfrqQ1qHaJ56DQaTfyMUF7F8ff5o'
const CID_V1 = 'bafybeiczsscdsbs7ffqz55asqdf3smv6klcw3gofszvwlyarci47bgf354'

const inputs = (lines: string) => parseJobSpec(actionInputs({ image: 'busybox', inputs: lines }), testContext).inputs

function errorOf(lines: string, outputs?: string): InputError {
  try {
    parseJobSpec(actionInputs({ image: 'busybox', inputs: lines, ...(outputs ? { outputs } : {}) }), testContext)
  } catch (error) {
    if (error instanceof InputError) return error
    throw error
  }
  throw new Error(`no error for ${lines}`)
}

describe('the short form URI[:TARGET]', () => {
  it('defaults the target to /inputs', () => {
    expect(inputs(`ipfs://${CID_V0}`)[0]).toMatchObject({
      source: { scheme: 'ipfs', cid: CID_V0, subpath: '' },
      target: '/inputs',
      targetIsFile: false
    })
  })

  it('splits the target at the last colon', () => {
    expect(inputs(`ipfs://${CID_V1}:/data/set`)[0]).toMatchObject({ target: '/data/set' })
  })

  it('keeps the case of a base58 CID and its subpath', () => {
    expect(inputs(`ipfs://${CID_V0}/Sub/Dir/:/x`)[0]!.source).toEqual({
      scheme: 'ipfs',
      cid: CID_V0,
      subpath: 'Sub/Dir'
    })
  })

  it('reads a URL with a port when no target follows', () => {
    expect(inputs('https://example.com:8443/data.csv')[0]).toMatchObject({
      source: { scheme: 'http', url: 'https://example.com:8443/data.csv' },
      target: '/inputs'
    })
  })

  it('marks a target with an extension as naming a file', () => {
    expect(inputs('https://example.com/a.csv:/data/input.csv')[0]).toMatchObject({ targetIsFile: true })
    expect(inputs('https://example.com/a.csv:/data/dir/')[0]).toMatchObject({
      target: '/data/dir',
      targetIsFile: false
    })
  })

  it('reads s3 objects and prefixes as Bacalhau does', () => {
    const [object, folder, star, bucket] = inputs(
      's3://bucket/key.csv:/a\ns3://bucket/data/:/b\ns3://bucket/da*:/c\ns3://my.bucket:/d'
    )
    expect(object!.source).toMatchObject({ bucket: 'bucket', key: 'key.csv', isPrefix: false })
    expect(folder!.source).toMatchObject({ key: 'data/', isPrefix: true })
    expect(star!.source).toMatchObject({ key: 'da', isPrefix: true })
    expect(bucket!.source).toMatchObject({ bucket: 'my.bucket', key: '', isPrefix: true })
  })

  it('resolves a workspace path inside GITHUB_WORKSPACE', () => {
    expect(inputs('data/set:/data')[0]!.source).toEqual({
      scheme: 'workspace',
      hostPath: '/home/runner/work/repo/repo/data/set',
      relativePath: 'data/set'
    })
    expect(inputs('/home/runner/work/repo/repo/x')[0]!.source).toMatchObject({ relativePath: 'x' })
  })
})

describe('the key form src=,dst=,opt=', () => {
  it('reads src, dst and options with aliases', () => {
    const [input] = inputs(
      'src=s3://bucket/prefix/,dst=/data,opt=region=eu-west-1,opt=endpoint=http://127.0.0.1:7480,opt=filter=.*\\.csv$'
    )
    expect(input).toMatchObject({
      target: '/data',
      source: { region: 'eu-west-1', endpoint: 'http://127.0.0.1:7480', filter: '.*\\.csv$', isPrefix: true }
    })
  })

  it('takes a URL with a port and a checksum', () => {
    const sum = 'AB'.repeat(32)
    expect(inputs(`source=http://127.0.0.1:8080/f.bin,target=/in,opt=checksum-256=${sum}`)[0]!.source).toEqual({
      scheme: 'http',
      url: 'http://127.0.0.1:8080/f.bin',
      checksumSha256: sum.toLowerCase()
    })
  })

  it('takes versionID on one object', () => {
    expect(inputs('src=s3://bucket/k,dst=/k,opt=versionID=v1')[0]!.source).toMatchObject({ versionId: 'v1' })
  })

  it('allows several inputs under one parent folder', () => {
    expect(inputs(`ipfs://${CID_V0}:/inputs/a\nipfs://${CID_V1}:/inputs/b`).map((i) => i.target)).toEqual([
      '/inputs/a',
      '/inputs/b'
    ])
  })
})

describe('bad inputs name the input and the problem', () => {
  it.each([
    ['ipfs://notacid', /not a valid CID/],
    ['ipfs://', /not a valid CID/],
    [`ipfs://${CID_V0}/../x`, /must not contain/],
    ['ftp://host/file', /unknown scheme "ftp:\/\/"/],
    ['git://host/repo', /unknown scheme/],
    ['http://', /not a valid URL|has no host/],
    ['https://exa mple.com/x', /not a valid URL/],
    ['s3://UPPER/key', /not a valid S3 bucket name/],
    ['s3://ab/key', /not a valid S3 bucket name/],
    ['s3://bucket/a*b', /only a trailing \*/],
    ['src=s3://bucket/p/,opt=filter=([', /not a valid regular expression/],
    ['src=s3://bucket/key,opt=filter=x', /needs a prefix/],
    ['src=s3://bucket/p/,opt=versionID=1', /single object/],
    ['src=s3://bucket/p/,opt=endpoint=nope', /not a URL/],
    ['src=https://h/f,opt=checksum-256=xyz', /64 hex digits/],
    ['src=https://h/f,opt=region=x', /does not apply to http inputs/],
    ['src=https://h/f,opt=colour=red', /unknown option "colour"/],
    ['src=https://h/f,dst=/x,bogus=1', /unknown key "bogus"/],
    ['src=https://h/f,dst', /not key=value/],
    ['dst=/x,opt=region=a', /has no src=URI/],
    ['src="https://h/f,dst=/x', /double quote inside a field/],
    ['"src=https://h/f,dst=/x', /unclosed double quote/],
    ['../outside', /outside the workspace/],
    ['/etc/passwd', /outside the workspace/],
    ['data:relative', /must be an absolute path/],
    ['data:/a/../b', /must not contain "\.\."/],
    ['data:/', /reserved system path/],
    ['data:/proc', /reserved system path/],
    ['data:/dev/shm', /reserved system path/],
    ['data:/sys', /reserved system path/],
    ['data:/etc', /reserved system path/],
    ['a\nb', /both target \/inputs/],
    ['a:/data\nb:/data/', /both target \/data/],
    ['a:/data\nb:/data/sub', /nested/]
  ])('%j', (lines, message) => {
    const error = errorOf(lines)
    expect(error.input).toBe('inputs')
    expect(error.message).toMatch(/^Input 'inputs': /)
    expect(error.message).toMatch(message)
  })

  it('refuses a target that overlaps an output', () => {
    expect(errorOf('data:/outputs/in').message).toMatch(/overlaps output "outputs"/)
    expect(errorOf('data:/results', 'out:/results/sub').message).toMatch(/overlaps output "out"/)
  })
})
