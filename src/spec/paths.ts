import path from 'node:path'
import { InputError } from './errors.js'

/** Mounting over these would break the container or expose the host. */
const RESERVED_EXACT = ['/', '/etc', '/bin', '/usr', '/lib']
const RESERVED_TREES = ['/proc', '/dev', '/sys']

/** Checks an absolute path inside the container and returns it normalized. */
export function checkContainerPath(input: string, value: string, what: string): string {
  if (!value.startsWith('/')) {
    throw new InputError(input, `${what} "${value}" must be an absolute path such as /inputs.`)
  }
  if (value.split('/').includes('..')) {
    throw new InputError(input, `${what} "${value}" must not contain "..".`)
  }
  const normalized = path.posix.normalize(value).replace(/(.)\/+$/, '$1')
  if (RESERVED_EXACT.includes(normalized) || RESERVED_TREES.some((tree) => isSameOrInside(normalized, tree))) {
    throw new InputError(input, `${what} "${value}" is a reserved system path; choose a folder such as /data.`)
  }
  return normalized
}

export function isSameOrInside(child: string, parent: string): boolean {
  return child === parent || child.startsWith(parent === '/' ? '/' : `${parent}/`)
}
