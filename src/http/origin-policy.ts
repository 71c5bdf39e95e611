// Which browser origins may call the API (CORS) and open /ws. Entries are exact origins
// (https://app.example.com), `*` for any, or a leading wildcard label (https://*.example.com) that
// matches any subdomain depth but not the bare domain.

export type OriginPolicy = (origin: string | undefined) => boolean

function escapeRegExp (s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
}

export function originPolicy (allowed: readonly string[]): OriginPolicy {
  if (allowed.includes('*')) return (origin) => origin !== undefined
  const exact = new Set<string>()
  const patterns: RegExp[] = []
  for (const entry of allowed) {
    const e = entry.toLowerCase().replace(/\/$/, '')
    const m = /^(https?:\/\/)\*\.(.+)$/.exec(e)
    if (m === null) exact.add(e)
    else patterns.push(new RegExp(`^${escapeRegExp(m[1]!)}([a-z0-9-]+\\.)+${escapeRegExp(m[2]!)}$`))
  }
  return (origin) => {
    if (origin === undefined) return false
    const o = origin.toLowerCase()
    return exact.has(o) || patterns.some((p) => p.test(o))
  }
}
