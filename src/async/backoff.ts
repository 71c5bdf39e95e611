/**
 * Delay before retry number `attempt` (1 for the first): exponential from `minMs`, capped at
 * `maxMs`, then jittered into the upper half of that cap so that many clients failing together do
 * not retry in lockstep.
 */
export function jitteredBackoff (attempt: number, minMs: number, maxMs: number, random: () => number = Math.random): number {
  const cap = Math.min(maxMs, minMs * 2 ** (Math.max(1, attempt) - 1))
  return cap / 2 + random() * cap / 2
}
