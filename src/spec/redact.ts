/** Query parameters whose value is a credential: presigned S3/GCS URLs, SAS tokens, API keys. */
const SECRET_PARAM =
  /^(x-(amz|goog)-(signature|credential|security-token)|sig|signature|token|access_token|id_token|refresh_token|key|api_key|apikey|api-key|password|passwd|pwd|secret|client_secret|auth|policy|key-pair-id)$/i
const SECRET_PARAM_PART = /token|secret|signature|password|credential/i

export function isSecretParam(name: string): boolean {
  return SECRET_PARAM.test(name) || SECRET_PARAM_PART.test(name)
}

// Read from the text, not a parsed URL: a line that is not a valid URL (and
// so ends up quoted in an error) may still hold a password.
const USERINFO = /[a-z][a-z0-9+.-]*:\/\/([^/?#@\s,]*)@/gi
const QUERY_PAIR = /[?&]([^=&#\s,]+)=([^&#\s,]*)/g

/** The credentials written into the URLs of a line: user info and secret query values, as written and decoded. */
export function credentialsIn(line: string): string[] {
  const found = new Set<string>()
  const add = (value: string): void => {
    if (value.length < 3) return
    found.add(value)
    try {
      found.add(decodeURIComponent(value))
    } catch {
      // Not percent-encoded after all: the raw form is enough.
    }
  }
  for (const [, userinfo] of line.matchAll(USERINFO)) {
    add(userinfo!)
    for (const part of userinfo!.split(':')) add(part)
  }
  for (const [, name, value] of line.matchAll(QUERY_PAIR)) if (isSecretParam(name!)) add(value!)
  return [...found]
}

/** `text` with every credential of `line` replaced by ***, longest first so none is left half-shown. */
export function redactCredentials(text: string, line = text): string {
  let out = text
  for (const secret of credentialsIn(line).sort((a, b) => b.length - a.length)) out = out.split(secret).join('***')
  return out
}
