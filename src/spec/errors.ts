/**
 * An invalid action input. The message always starts with the input's name so
 * that a user reading the step log knows which `with:` line to fix.
 */
export class InputError extends Error {
  constructor(
    readonly input: string,
    problem: string
  ) {
    super(`Input '${input}': ${problem}`)
    this.name = 'InputError'
  }
}
