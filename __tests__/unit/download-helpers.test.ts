import {
  Secrets,
  filenameFromDisposition,
  isSecretParam,
  parseContentRange,
  sanitizeFilename
} from '../../src/storage/http.js'
import { formatBytes } from '../../src/format.js'
import { Progress } from '../../src/storage/progress.js'
import { localPathOf } from '../../src/storage/s3.js'
import { collectingLog } from '../helpers/log.js'

describe('Content-Disposition file names', () => {
  test.each([
    ['attachment; filename="data.csv"', 'data.csv'],
    ['attachment; filename=plain.txt', 'plain.txt'],
    ['attachment; filename="with \\"quotes\\".txt"', 'with "quotes".txt'],
    ["attachment; filename*=UTF-8''na%C3%AFve%20file.txt", 'naïve file.txt'],
    ['attachment; filename="fallback.txt"; filename*=UTF-8\'\'pr%C3%A9f%C3%A9r%C3%A9.txt', 'préféré.txt'],
    ["attachment; filename*=iso-8859-1'en'caf%E9.txt", 'café.txt'],
    ['inline', undefined],
    [undefined, undefined]
  ])('%s → %s', (header, expected) => {
    expect(filenameFromDisposition(header)).toBe(expected)
  })
})

describe('sanitizeFilename', () => {
  test.each([
    ['../../etc/passwd', 'passwd'],
    ['..\\..\\boot.ini', 'boot.ini'],
    ['..', undefined],
    ['.', undefined],
    ['dir/', undefined],
    ['', undefined],
    ['  spaced.txt  ', 'spaced.txt'],
    ['bell\u0007.txt', 'bell.txt'],
    ['.partial-abc', undefined]
  ])('%j → %j', (name, expected) => {
    expect(sanitizeFilename(name)).toBe(expected)
  })

  test('a very long name is cut to 255 bytes without splitting a character', () => {
    const name = sanitizeFilename('é'.repeat(200))!
    expect(Buffer.byteLength(name)).toBeLessThanOrEqual(255)
    expect(name).toBe('é'.repeat(127))
  })
})

describe('URL secrets', () => {
  test.each([
    'X-Amz-Signature',
    'x-amz-credential',
    'X-Amz-Security-Token',
    'sig',
    'token',
    'access_token',
    'key',
    'X-Goog-Signature',
    'client_secret'
  ])('%s is a secret parameter', (name) => expect(isSecretParam(name)).toBe(true))
  test.each(['part', 'format', 'X-Amz-Date', 'X-Amz-Expires', 'page'])('%s is not', (name) =>
    expect(isSecretParam(name)).toBe(false)
  )

  test('user info and secret parameters are masked and redacted, other parameters kept', () => {
    const log = collectingLog()
    const secrets = new Secrets(log)
    const url = secrets.take(
      new URL(
        'https://bob:hunter2%21@data.example/f.csv?X-Amz-Credential=AKIA%2F2024&X-Amz-Date=20240101&X-Amz-Signature=deadbeef99'
      )
    )
    expect(log.masked).toEqual(
      expect.arrayContaining(['bob', 'hunter2%21', 'hunter2!', 'AKIA%2F2024', 'AKIA/2024', 'deadbeef99'])
    )
    expect(secrets.redactUrl(url)).toBe(
      'https://***:***@data.example/f.csv?X-Amz-Credential=***&X-Amz-Date=20240101&X-Amz-Signature=***'
    )
    expect(secrets.redact('failed at https://data.example/?sig=deadbeef99 for bob')).toBe(
      'failed at https://data.example/?sig=*** for ***'
    )
  })
})

test('parseContentRange', () => {
  expect(parseContentRange('bytes 100-199/200')).toEqual({ start: 100, end: 199, total: 200 })
  expect(parseContentRange('bytes 5-9/*')).toEqual({ start: 5, end: 9, total: undefined })
  expect(parseContentRange('bytes */200')).toBeUndefined()
  expect(parseContentRange(undefined)).toBeUndefined()
})

describe('S3 keys land relative to the prefix directory', () => {
  test.each([
    ['data/x/y.csv', 'data/', 'x/y.csv'],
    ['data/x.csv', 'da', 'data/x.csv'],
    ['data/dax.csv', 'data/da', 'dax.csv'],
    ['top.txt', '', 'top.txt']
  ])('%s under %j → %s', (key, prefix, expected) => {
    expect(localPathOf(key, prefix)).toBe(expected)
  })
})

test('progress is reported at most once per interval, with bytes and a rate', async () => {
  const log = collectingLog()
  const progress = new Progress(log, (bytes, rate) => `${formatBytes(bytes)} (${rate})`, 50)
  progress.add(1024)
  expect(log.lines).toEqual([])
  await new Promise((resolve) => setTimeout(resolve, 60))
  progress.add(1024)
  progress.add(1024)
  expect(log.lines).toHaveLength(1)
  expect(log.lines[0]).toMatch(/^2\.0 KiB \([\d.]+ (B|KiB|MiB)\/s\)$/)
})
