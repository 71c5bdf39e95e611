// What the fan-out benchmarks read back from hub servers and client samples: the hub's counters,
// the clients it closed, and per receipt the latency, per round the time to its last receipt.
import type { ManagedChild } from './processes.js'
import type { Samples } from './ws-pool.js'

export type HubStats = Record<string, number>

export async function hubStats (hub: ManagedChild): Promise<HubStats> {
  return (await hub.request<{ hub: HubStats }>('stats')).hub
}

export function closedByServer (before: HubStats, after: HubStats): number {
  const keys = ['closed_backpressure_total', 'closed_pong_timeout_total', 'closed_limit_total', 'refused_total']
  return keys.reduce((a, k) => a + (after[k]! - before[k]!), 0)
}

export interface PhaseResult {
  latencies: number[]
  /** Per publish round: time until its last expected receipt. */
  completion: number[]
  missing: number
  shortClients: number
}

/** Latency of every receipt, completion time of every round, and clients that missed updates. */
export function analyze (s: Samples, clients: number, updates: number, publishesPerRound: number, firstSeq: number): PhaseResult {
  const latencies: number[] = []
  const perClient = new Uint32Array(clients)
  const roundMax = new Map<number, number>()
  for (let i = 0; i < s.t.length; i++) {
    const lat = s.t[i]! - s.volume[i]!
    latencies.push(lat)
    perClient[s.client[i]!]!++
    // close = 100 + publish sequence number; rounds are consecutive blocks of publishes.
    const round = Math.floor((s.close[i]! - 100 - firstSeq) / publishesPerRound)
    roundMax.set(round, Math.max(roundMax.get(round) ?? 0, lat))
  }
  let shortClients = 0
  for (const n of perClient) if (n < updates) shortClients++
  return { latencies, completion: [...roundMax.values()], missing: clients * updates - s.t.length, shortClients }
}
