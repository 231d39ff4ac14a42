import { parse as parseShell } from 'shell-quote'
import { split as splitWords } from 'shlex'
import { InputError } from './errors.js'

/**
 * Splits a shell-words string into an exec-form argument list. shlex does the
 * POSIX splitting (and refuses unbalanced quotes); shell-quote is asked only
 * whether an unquoted shell operator is present, since an exec form has no
 * shell to run it.
 */
export function parseWords(input: string, value: string): string[] {
  let words: string[]
  try {
    words = splitWords(value)
  } catch (error) {
    throw new InputError(input, `cannot split "${value}" into words: ${(error as Error).message}; check the quotes.`)
  }
  const keepVariables = (name: string): string => `$${name}`
  for (const token of parseShell(value, keepVariables)) {
    if (typeof token === 'string') continue
    if ('comment' in token) {
      throw new InputError(
        input,
        `"#" starts a shell comment, which an exec-form ${input} cannot have; quote it or use 'run' for a shell script.`
      )
    }
    if ('op' in token && token.op !== 'glob') {
      throw new InputError(
        input,
        `"${token.op}" is a shell operator, but '${input}' runs without a shell; use 'run' for a shell script, or quote the operator.`
      )
    }
  }
  return words
}
