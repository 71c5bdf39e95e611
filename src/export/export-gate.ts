// How many exports run at once: one per client, and at most `maxTotal` across the service, so a
// few clients cannot take every DuckDB reader and all of the CPU with long downloads.

export type GateRefusal = 'client_busy' | 'service_busy'

export class ExportGate {
  private readonly running = new Map<string, number>()
  private total = 0

  constructor (private readonly maxTotal: number, private readonly maxPerClient = 1) {}

  get active (): number {
    return this.total
  }

  /** A release function (idempotent) when a slot is free, else why not. */
  acquire (client: string): (() => void) | GateRefusal {
    const mine = this.running.get(client) ?? 0
    if (mine >= this.maxPerClient) return 'client_busy'
    if (this.total >= this.maxTotal) return 'service_busy'
    this.running.set(client, mine + 1)
    this.total++
    let released = false
    return () => {
      if (released) return
      released = true
      this.total--
      const n = (this.running.get(client) ?? 1) - 1
      if (n <= 0) this.running.delete(client)
      else this.running.set(client, n)
    }
  }
}
