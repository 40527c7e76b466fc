import type { Sql } from 'postgres'

/** What a listener tells its owner: a notification, and when it starts and stops hearing every one. */
export interface ChannelHandlers {
  notify: () => void
  /** LISTEN is in place: from now on every notification of the channel reaches `notify`. */
  up: () => void
  /** The connection is lost (or never made): notifications may be missed until the next `up`. */
  down: () => void
}

const RETRY_MS = 1_000
/** A connection that does not answer a probe this often is taken as lost (a half-open socket sends no close). */
const PROBE_EVERY_MS = 10_000
const PROBE_TIMEOUT_MS = 5_000

/**
 * LISTENs to one Postgres channel on a connection of its own (outside the pool, so a busy pool never delays a
 * notification), made again a second after it is lost for as long as the process runs. `down` is called whenever the
 * connection closes or fails a probe, before anything it might have missed could be relied on.
 */
export function listenToChannel(url: string, channel: string, on: ChannelHandlers): { close: () => Promise<void> } {
  let client: Sql | undefined
  let closed = false
  let retry: ReturnType<typeof setTimeout> | undefined
  let probe: ReturnType<typeof setInterval> | undefined

  const lost = (c: Sql) => {
    if (client !== c) return
    client = undefined
    clearInterval(probe)
    on.down()
    void c.end({ timeout: 0 }).catch(() => {})
    if (!closed) (retry = setTimeout(connect, RETRY_MS)).unref()
  }
  async function connect() {
    const { default: postgres } = await import('postgres')
    const c: Sql = postgres(url, {
      max: 1, idle_timeout: 0, max_lifetime: null, fetch_types: false, connect_timeout: 5, onnotice: () => {},
      connection: { application_name: 'proofdeck-key-listener' },
      onnotify: (name: string) => {
        if (name === channel && client === c) on.notify()
      },
      onclose: () => lost(c),
    } as Parameters<typeof postgres>[1])
    client = c
    try {
      await c.unsafe(`listen ${channel}`)
      if (client !== c) return
      on.up()
      probe = setInterval(() => {
        const timeout = new Promise((_, reject) => setTimeout(reject, PROBE_TIMEOUT_MS).unref())
        Promise.race([c`select 1`, timeout]).catch(() => lost(c))
      }, PROBE_EVERY_MS)
      probe.unref()
    }
    catch {
      lost(c)
    }
  }
  void connect()
  return {
    close: async () => {
      closed = true
      clearTimeout(retry)
      const c = client
      client = undefined
      clearInterval(probe)
      await c?.end({ timeout: 1 }).catch(() => {})
    },
  }
}
