// How many frames one /ws client may send: a token bucket with a burst of 20, refilled at 10 per
// second. Clients send a handful of subscribes; anything near the limit is a bug or abuse, and a
// client that keeps pushing past it is closed rather than answered forever.
export const INBOUND_BURST = 20
export const INBOUND_PER_SECOND = 10
/** Frames dropped for the budget before the client is closed. */
export const INBOUND_OVERRUN_CLOSE = 50

/** `accept`: handle the frame; `drop`: tell the client it was dropped; `close`: end the connection. */
export type InboundVerdict = 'accept' | 'drop' | 'close'

export class InboundBudget {
  private tokens = INBOUND_BURST
  private overrun = 0

  constructor (private at: number) {}

  /** Charges one frame received at `now` (ms). */
  take (now: number): InboundVerdict {
    this.tokens = Math.min(INBOUND_BURST, this.tokens + ((now - this.at) / 1000) * INBOUND_PER_SECOND)
    this.at = now
    if (this.tokens >= 1) {
      this.tokens--
      return 'accept'
    }
    return ++this.overrun >= INBOUND_OVERRUN_CLOSE ? 'close' : 'drop'
  }
}
