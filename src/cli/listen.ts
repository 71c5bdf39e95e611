// Whether HOST:PORT can be listened on, checked before anything is opened, and a failed listen in
// one sentence that says what to change.
import { createServer } from 'node:net'
import { CliError, EXIT } from './command.js'

/** How the user sets the address and the port, for the advice. */
export interface ListenSettings { host: string, port: string }

const SERVICE_SETTINGS: ListenSettings = { host: '--host or HOST', port: '--port or PORT' }

/** The one-line CliError for a failed listen, or undefined when `err` is not a listen failure. */
export function listenFailure (err: unknown, host: string, port: number, via: ListenSettings = SERVICE_SETTINGS): CliError | undefined {
  const code = (err as NodeJS.ErrnoException).code
  const hostVia = via.host
  const portVia = via.port
  switch (code) {
    case 'EADDRINUSE':
      return new CliError(`port ${port} is in use on ${host}; pick another with ${portVia}`, EXIT.LISTEN)
    case 'EACCES':
      return new CliError(`port ${port} on ${host} needs privileges this process lacks; pick one above 1023 with ${portVia}`, EXIT.LISTEN)
    case 'EADDRNOTAVAIL':
      return new CliError(`cannot listen on ${host}: it is not an address of this machine; give one of its addresses (or 0.0.0.0 for all) with ${hostVia}`, EXIT.LISTEN)
    case 'ENOTFOUND':
    case 'EAI_NONAME':
    case 'EAI_FAIL':
      return new CliError(`cannot listen on ${host}: no such host name; give an address or a name this machine resolves with ${hostVia}`, EXIT.LISTEN)
    case 'EAI_AGAIN':
      return new CliError(`cannot listen on ${host}: the name could not be resolved (DNS did not answer); give an IP address with ${hostVia}`, EXIT.LISTEN)
    default:
      return undefined
  }
}

/** Binds HOST:PORT for a moment, so a listen that would fail does so before the store is opened. */
export async function checkListen (host: string, port: number, via?: ListenSettings): Promise<void> {
  const server = createServer()
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen({ host, port, exclusive: true }, resolve)
    })
  } catch (err) {
    throw listenFailure(err, host, port, via) ?? err
  } finally {
    await new Promise((resolve) => server.close(resolve))
  }
}
