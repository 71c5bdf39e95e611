// Where the chart page's files are and the content policy it is served with. The page is plain
// HTML, CSS and one ES module (no build step), plus lightweight-charts' self-contained module
// straight from node_modules, so the page needs nothing outside the service.
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { projectRoot } from '../project.js'

/** The page's own files: src/web under the project root, both from src/ (tsx) and dist/ (build). */
export function chartWebDir (): string {
  return join(projectRoot(), 'src', 'web')
}

/** The directory holding lightweight-charts' builds, wherever npm placed the package. */
export function chartLibraryDir (): string {
  return join(dirname(createRequire(import.meta.url).resolve('lightweight-charts/package.json')), 'dist')
}

/** The library build the page imports: one file, no further imports. */
export const CHART_LIBRARY_FILE = 'lightweight-charts.standalone.production.mjs'

/** Files under /chart/: URL name -> [directory, file]. Nothing else of either directory is served. */
export function chartAssets (): Record<string, [string, string]> {
  const web = chartWebDir()
  return {
    'chart.js': [web, 'chart.js'],
    'chart.css': [web, 'chart.css'],
    'lightweight-charts.mjs': [chartLibraryDir(), CHART_LIBRARY_FILE]
  }
}

// A Host header as browsers send it: a DNS name or IPv4 address, or a bracketed IPv6 address,
// with an optional port. Anything else (a client can send any bytes) is left out of the policy.
const HOST_RE = /^(?:[a-z0-9](?:[a-z0-9.-]{0,252})|\[[0-9a-f:.]{2,45}\])(?::\d{1,5})?$/i

/**
 * The page may load only its own scripts and styles and talk only to this service's API and
 * WebSocket. CSP Level 3 lets 'self' match ws:/wss: on the page's own host, but older engines (Safari
 * before 15.4) do not, so the WebSocket origin of the request's host is named too when it is valid.
 */
export function chartPagePolicy (host: string | undefined): string {
  const connect = ["'self'"]
  if (host !== undefined && HOST_RE.test(host)) connect.push(`ws://${host}`, `wss://${host}`)
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    // Only the page's empty data: icon, which keeps browsers from asking for /favicon.ico.
    'img-src data:',
    `connect-src ${connect.join(' ')}`,
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'"
  ].join('; ')
}

/** The page's address for a person on this machine: a wildcard listen address means localhost. */
export function chartPageUrl (host: string, port: number): string {
  const name = host === '' || host === '0.0.0.0' || host === '::' ? 'localhost' : host.includes(':') ? `[${host}]` : host
  return `http://${name}:${port}/`
}
