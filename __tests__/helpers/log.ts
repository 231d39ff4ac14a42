import type { Log } from '../../src/storage/types.js'

/** A Log that keeps every line, so tests can read what a user would see. */
export function collectingLog(): Log & { lines: string[]; masked: string[] } {
  const lines: string[] = []
  const masked: string[] = []
  return {
    lines,
    masked,
    info: (message) => void lines.push(message),
    warning: (message) => void lines.push(`warning: ${message}`),
    debug: (message) => void lines.push(`debug: ${message}`),
    group: async (title, body) => {
      lines.push(`group: ${title}`)
      return body()
    },
    mask: (secret) => void masked.push(secret)
  }
}
