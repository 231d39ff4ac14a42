import { isUtf8 } from 'node:buffer'

export { isUtf8 }

/**
 * A file name as the container wrote it (bytes), for messages: itself when it
 * is UTF-8, else with every byte outside printable ASCII written as \xNN, so
 * that `caf\xe9.txt` (Latin-1) is shown as what it is rather than as a
 * replacement character that names no file.
 */
export function nameForPeople(raw: Buffer): string {
  if (isUtf8(raw)) return raw.toString('utf8')
  let shown = ''
  for (const byte of raw) {
    shown += byte >= 0x20 && byte < 0x7f ? String.fromCharCode(byte) : `\\x${byte.toString(16).padStart(2, '0')}`
  }
  return shown
}
