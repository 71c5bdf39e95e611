// REST request weight as Binance meters it: per calendar minute of the wall clock, counted per IP;
// the simulator has one client population, so one meter serves every request.

const WEIGHT_WINDOW_MS = 60_000

export class WeightMeter {
  private window = Number.NaN
  private used = 0

  constructor (private readonly limit: number, private readonly wallNow: () => number) {}

  private roll (): void {
    const window = Math.floor(this.wallNow() / WEIGHT_WINDOW_MS)
    if (window !== this.window) {
      this.window = window
      this.used = 0
    }
  }

  current (): number {
    this.roll()
    return this.used
  }

  /** Adds `weight` unless that would pass the limit (rejected requests are not counted). */
  tryUse (weight: number): boolean {
    this.roll()
    if (this.used + weight > this.limit) return false
    this.used += weight
    return true
  }

  secondsToNextWindow (): number {
    const now = this.wallNow()
    return Math.max(1, Math.ceil(((Math.floor(now / WEIGHT_WINDOW_MS) + 1) * WEIGHT_WINDOW_MS - now) / 1000))
  }
}
