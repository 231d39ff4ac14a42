import { describe, expect, it } from '@jest/globals'
import { pullErrorReason, pullFailure, registryHost } from '../../src/executor/image.js'
import { parseJobSpec } from '../../src/spec/job-spec.js'
import { actionInputs, testContext } from '../helpers/inputs.js'

// The messages for registries the tests cannot run (ghcr.io, Docker Hub);
// the local registry's own answers are in __tests__/integration/registry.test.ts.
const spec = (values: Record<string, string>) => parseJobSpec(actionInputs(values), testContext)
const PASSWORD = 'ghp_s3cr3t/+=token'
const withCredentials = { 'registry-username': 'octocat', 'registry-password': PASSWORD }

describe('registryHost', () => {
  it('is the first part of the name when it looks like a host, else Docker Hub', () => {
    expect(registryHost('ghcr.io/o/r:1')).toBe('ghcr.io')
    expect(registryHost('127.0.0.1:5000/a/b@sha256:' + 'a'.repeat(64))).toBe('127.0.0.1:5000')
    expect(registryHost('localhost/a')).toBe('localhost')
    expect(registryHost('python:3.12')).toBe('docker.io')
    expect(registryHost('library/python')).toBe('docker.io')
  })
})

describe('pull failures', () => {
  it('for ghcr.io without credentials, says which inputs and which permission', () => {
    const message = pullFailure(spec({ image: 'ghcr.io/o/r:1' }), 'denied', 'linux/amd64')
    expect(message).toMatch(
      /^Input 'image': cannot pull ghcr\.io\/o\/r:1 without credentials \(ghcr\.io said: denied\)/
    )
    expect(message).toContain('set registry-username and registry-password')
    expect(message).toContain('registry-username: ${{ github.actor }}')
    expect(message).toContain('permissions: packages: read')
  })

  it('for refused credentials, names both inputs, and the permission only for ghcr.io', () => {
    const ghcr = pullFailure(spec({ image: 'ghcr.io/o/r:1', ...withCredentials }), 'unauthorized', 'linux/amd64')
    expect(ghcr).toMatch(/^Inputs 'registry-username' and 'registry-password': ghcr\.io refused them/)
    expect(ghcr).toContain('packages: read')
    const hub = pullFailure(
      spec({ image: 'o/r:1', ...withCredentials }),
      "pull access denied for o/r, repository does not exist or may require 'docker login'",
      'linux/amd64'
    )
    expect(hub).toMatch(/^Inputs 'registry-username' and 'registry-password': docker\.io refused them/)
    expect(hub).not.toContain('packages: read')
  })

  it('gives platform advice when the engine refuses the platform at pull time', () => {
    const message = pullFailure(
      spec({ image: 'o/r:1', platform: 'linux/arm64' }),
      'no matching manifest for linux/arm64 in the manifest list entries',
      'linux/amd64'
    )
    expect(message).toMatch(/^Input 'platform': o\/r:1 has no image for linux\/arm64 .*Rebuild or re-tag the image/)
  })

  it('keeps other errors as the daemon said them, without dockerode prefix', () => {
    const reason = pullErrorReason(
      new Error('(HTTP code 404) unexpected - manifest unknown '),
      spec({ image: 'o/r:1' })
    )
    expect(pullFailure(spec({ image: 'o/r:1' }), reason, 'linux/amd64')).toBe(
      "Input 'image': cannot pull o/r:1: manifest unknown"
    )
  })

  it('takes the password out of whatever the daemon says, in every form it travels in', () => {
    const header = Buffer.from(JSON.stringify({ username: 'octocat', password: PASSWORD, serveraddress: 'docker.io' }))
    const forms = [
      PASSWORD,
      encodeURIComponent(PASSWORD),
      Buffer.from(PASSWORD).toString('base64'),
      header.toString('base64url'),
      header.toString('base64')
    ]
    const echoed = new Error(`(HTTP code 500) server error - bad ${forms.join(' or ')}`)
    const reason = pullErrorReason(echoed, spec({ image: 'o/r:1', ...withCredentials }))
    expect(reason).toBe('bad *** or *** or *** or *** or ***')
  })
})
