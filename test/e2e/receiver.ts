import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'

/** One request the fake receiver got, and what it answered (null: held, never answered). */
export interface Received {
  path: string
  event: string
  delivery: string
  signature: string | undefined
  body: string
  answered: number | null
}

/**
 * A webhook receiver on loopback. Paths decide the answer: /ok answers 200; /flaky answers 500 to its first request,
 * then 200; /hold holds its first request unanswered (the server is killed meanwhile), then answers 200.
 */
export function fakeReceiver() {
  const received: Received[] = []
  const held: ServerResponse[] = []
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let body = ''
    req.on('data', (c: Buffer) => { body += c.toString() })
    req.on('end', () => {
      const path = req.url ?? '/'
      const seen = received.filter(r => r.path === path).length
      const answer = path === '/flaky' && seen === 0 ? 500 : path === '/hold' && seen === 0 ? null : 200
      received.push({
        path, body, answered: answer, event: String(req.headers['x-proofdeck-event']), delivery: String(req.headers['x-proofdeck-delivery']),
        signature: req.headers['x-proofdeck-signature'] as string | undefined,
      })
      if (answer === null) held.push(res)
      else res.writeHead(answer, { 'content-type': 'text/plain' }).end(answer === 200 ? 'thanks' : 'boom')
    })
  })
  return {
    received,
    start: () => new Promise<string>(r => server.listen(0, '127.0.0.1', () => r(`http://127.0.0.1:${(server.address() as AddressInfo).port}`))),
    /** Drops the held requests' connections (the receiver went away mid-request), and keeps serving. */
    release: () => {
      for (const res of held.splice(0)) res.destroy()
    },
    stop: () => {
      for (const res of held) res.destroy()
      server.closeAllConnections()
      return new Promise<void>(r => server.close(() => r()))
    },
  }
}
