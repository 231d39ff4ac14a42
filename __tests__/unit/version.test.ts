import fs from 'node:fs'
import { expect, it } from '@jest/globals'
import { ACTION_VERSION } from '../../src/version.js'

it('records the version package.json declares', () => {
  expect(ACTION_VERSION).toBe((JSON.parse(fs.readFileSync('package.json', 'utf8')) as { version: string }).version)
})
