import { InputError } from './errors.js'

export interface ImageRef {
  /** As the user wrote it, e.g. `python:3.12-slim` or `ghcr.io/o/r@sha256:…`. */
  reference: string
  /** `sha256:…` when the reference pins a digest. */
  digest?: string
}

// The grammar of github.com/distribution/reference, without the optional
// domain's IPv6 form.
const COMPONENT = '[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*'
const DOMAIN =
  '(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)(?:\\.(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?))*(?::[0-9]+)?'
const REFERENCE = new RegExp(
  `^(?:${DOMAIN}/)?${COMPONENT}(?:/${COMPONENT})*(?::[\\w][\\w.-]{0,127})?(?:@(sha256:[a-f0-9]{64}))?$`
)

export function parseImage(input: string, value: string): ImageRef {
  if (!value) throw new InputError(input, 'is required: name the container image, e.g. python:3.12-slim.')
  const match = REFERENCE.exec(value)
  // As Docker reads it, the first part is a registry only if it looks like a
  // host (a dot, a port or localhost); otherwise it is a lower-case name.
  const first = value.split('/')[0]!
  const looksLikeHost = value.includes('/') && (/[.:]/.test(first) || first === 'localhost')
  if (!match || value.length > 255 || (!looksLikeHost && first !== first.toLowerCase())) {
    throw new InputError(
      input,
      `"${value}" is not a valid image reference; write NAME[:TAG] or NAME@sha256:DIGEST in lower case.`
    )
  }
  return { reference: value, digest: match[1] }
}
