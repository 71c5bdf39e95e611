// Whether the candle store answers, for the health and stats routes.
import type { CandleStore } from '../store/candle-store.js'

const PING_TIMEOUT_MS = 2000

/**
 * True when the store answers a ping within 2 s. A database cut off by the network never answers
 * nor fails (the connection stays open, hearing nothing), so the route asking has to stop waiting
 * itself, or it would hang for as long as the partition lasts.
 */
export async function storeAnswers (store: Pick<CandleStore, 'ping'>): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<boolean>((resolve) => { timer = setTimeout(() => resolve(false), PING_TIMEOUT_MS) })
  try {
    return await Promise.race([store.ping().then(() => true, () => false), timeout])
  } finally {
    clearTimeout(timer)
  }
}
