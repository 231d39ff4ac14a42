import { InputError } from './errors.js'

const MAX_CPUS = 1024
const MIN_MEMORY = 6 * 1024 * 1024 // Docker refuses anything smaller.
const MAX_MEMORY = 2 ** 40 * 16 // 16 TiB: beyond any runner; a typo otherwise.
const MAX_TIMEOUT_MS = 7 * 24 * 3600 * 1000

/** `1.5` cores or `500m` millicores, as Bacalhau and Kubernetes write them. */
export function parseCpu(input: string, value: string): number {
  const match = /^(\d+(?:\.\d+)?|\.\d+)(m?)$/.exec(value)
  if (!match) {
    throw new InputError(input, `"${value}" is not a CPU amount; write cores such as 1.5 or millicores such as 500m.`)
  }
  const cores = Number(match[1]) / (match[2] ? 1000 : 1)
  if (cores <= 0) throw new InputError(input, `"${value}" must be more than zero.`)
  if (cores > MAX_CPUS) {
    throw new InputError(input, `"${value}" is more than ${MAX_CPUS} cores; check the unit.`)
  }
  const nanoCpus = Math.round(cores * 1e9)
  if (nanoCpus < 1e7) {
    throw new InputError(input, `"${value}" is below Docker's minimum of 0.01 cores (10m).`)
  }
  return nanoCpus
}

const SIZE_UNITS: Record<string, number> = {
  '': 1,
  b: 1,
  k: 1e3,
  kb: 1e3,
  m: 1e6,
  mb: 1e6,
  g: 1e9,
  gb: 1e9,
  t: 1e12,
  tb: 1e12,
  ki: 2 ** 10,
  kib: 2 ** 10,
  mi: 2 ** 20,
  mib: 2 ** 20,
  gi: 2 ** 30,
  gib: 2 ** 30,
  ti: 2 ** 40,
  tib: 2 ** 40
}

/**
 * A byte size such as `512Mb` or `2Gi`. Decimal units (k, M, G, T with or
 * without B) are powers of 1000 and binary units (Ki, Mi, Gi, Ti) powers of
 * 1024, as Bacalhau's go-humanize reads them.
 */
export function parseSize(input: string, value: string): number {
  const match = /^(\d+(?:\.\d+)?)\s*([a-zA-Z]*)$/.exec(value)
  const unit = match ? SIZE_UNITS[match[2]!.toLowerCase()] : undefined
  if (!match || unit === undefined) {
    throw new InputError(input, `"${value}" is not a size; write a number with a unit such as 512Mi, 512Mb or 2Gi.`)
  }
  const bytes = Math.floor(Number(match[1]) * unit)
  if (bytes <= 0) throw new InputError(input, `"${value}" must be more than zero.`)
  return bytes
}

export function parseMemory(input: string, value: string): number {
  const bytes = parseSize(input, value)
  if (bytes < MIN_MEMORY) {
    throw new InputError(input, `"${value}" is below Docker's minimum of 6Mi.`)
  }
  if (bytes > MAX_MEMORY) {
    throw new InputError(input, `"${value}" is more than 16Ti; check the unit.`)
  }
  return bytes
}

const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }

/** Seconds (`90`, `1.5`) or a Go-style duration (`10m`, `1h30m`, `45s`). */
export function parseDuration(input: string, value: string): number {
  let ms: number
  if (/^\d+(?:\.\d+)?$/.test(value)) {
    ms = Number(value) * 1000
  } else if (/^(\d+(?:\.\d+)?(ms|s|m|h))+$/.test(value)) {
    ms = 0
    for (const [, amount, unit] of value.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)) {
      ms += Number(amount) * DURATION_UNITS[unit!]!
    }
  } else {
    throw new InputError(
      input,
      `"${value}" is not a duration; write seconds such as 600 or a duration such as 10m or 1h30m.`
    )
  }
  ms = Math.round(ms)
  if (ms <= 0) throw new InputError(input, `"${value}" must be more than zero.`)
  if (ms > MAX_TIMEOUT_MS) {
    throw new InputError(input, `"${value}" is more than 7 days; check the unit.`)
  }
  return ms
}
