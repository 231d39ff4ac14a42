import http from 'node:http'
import type { AddressInfo } from 'node:net'

export interface RecordedRequest {
  method: string
  /** Path and query, as sent. */
  url: string
  authorization?: string
  body?: { body?: string }
}

export interface StoredComment {
  id: number
  body: string
  user: { login: string; type: string }
}

/**
 * The few GitHub REST routes issue comments use, served on 127.0.0.1, with
 * GitHub's page size rules and Link headers, recording every request.
 * `refuse` makes every route answer as GitHub does when the token lacks a
 * permission.
 */
export async function startGitHubApi() {
  const comments = new Map<number, StoredComment[]>()
  const requests: RecordedRequest[] = []
  let nextId = 1000
  let refusal: { status: number; message: string; headers?: Record<string, string> } | undefined

  const server = http.createServer((req, res) => {
    let raw = ''
    req.on('data', (chunk: Buffer) => (raw += chunk.toString()))
    req.on('end', () => {
      const url = new URL(req.url!, `http://${req.headers.host}`)
      const body = raw ? (JSON.parse(raw) as { body?: string }) : undefined
      requests.push({ method: req.method!, url: req.url!, authorization: req.headers.authorization, body })
      const send = (status: number, payload: unknown, headers: Record<string, string> = {}) => {
        res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers })
        res.end(JSON.stringify(payload))
      }
      if (refusal) {
        send(
          refusal.status,
          {
            message: refusal.message,
            documentation_url: 'https://docs.github.com/rest',
            status: String(refusal.status)
          },
          refusal.headers
        )
        return
      }
      const list = /^\/repos\/([^/]+)\/([^/]+)\/issues\/(\d+)\/comments$/.exec(url.pathname)
      const edit = /^\/repos\/([^/]+)\/([^/]+)\/issues\/comments\/(\d+)$/.exec(url.pathname)
      if (list && req.method === 'GET') {
        const all = comments.get(Number(list[3])) ?? []
        const perPage = Math.min(Number(url.searchParams.get('per_page') ?? 30), 100)
        const page = Number(url.searchParams.get('page') ?? 1)
        const last = Math.max(1, Math.ceil(all.length / perPage))
        const links: string[] = []
        const pageUrl = (n: number) => {
          const next = new URL(url)
          next.searchParams.set('page', String(n))
          return `<${next.href}>`
        }
        if (page < last) links.push(`${pageUrl(page + 1)}; rel="next"`, `${pageUrl(last)}; rel="last"`)
        if (page > 1) links.push(`${pageUrl(1)}; rel="first"`, `${pageUrl(page - 1)}; rel="prev"`)
        send(
          200,
          all.slice((page - 1) * perPage, page * perPage).map((comment) => view(url, list, comment)),
          links.length > 0 ? { link: links.join(', ') } : {}
        )
      } else if (list && req.method === 'POST') {
        const comment = { id: nextId++, body: body?.body ?? '', user: { login: 'github-actions[bot]', type: 'Bot' } }
        comments.set(Number(list[3]), [...(comments.get(Number(list[3])) ?? []), comment])
        send(201, view(url, list, comment))
      } else if (edit && req.method === 'PATCH') {
        for (const [number, stored] of comments) {
          const comment = stored.find((c) => c.id === Number(edit[3]))
          if (comment) {
            comment.body = body?.body ?? ''
            send(200, view(url, [...edit.slice(0, 3), String(number)], comment))
            return
          }
        }
        send(404, { message: 'Not Found' })
      } else {
        send(404, { message: 'Not Found' })
      }
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo

  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    comments,
    /** Seeds a comment as if someone (or an earlier run) had written it. */
    addComment(number: number, body: string, login = 'someone'): StoredComment {
      const comment = { id: nextId++, body, user: { login, type: 'User' } }
      comments.set(number, [...(comments.get(number) ?? []), comment])
      return comment
    },
    refuse(status: number, message: string, headers?: Record<string, string>) {
      refusal = { status, message, headers }
    },
    reset() {
      comments.clear()
      requests.length = 0
      refusal = undefined
    },
    stop: () => new Promise<void>((resolve) => server.close(() => resolve()))
  }
}

function view(url: URL, match: ArrayLike<string>, comment: StoredComment) {
  const [, owner, repo, number] = Array.from(match)
  return {
    id: comment.id,
    body: comment.body,
    user: comment.user,
    html_url: `https://github.com/${owner}/${repo}/pull/${number}#issuecomment-${comment.id}`,
    url: `${url.origin}/repos/${owner}/${repo}/issues/comments/${comment.id}`
  }
}
