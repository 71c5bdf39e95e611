// Fencing of a PostgreSQL store's writes by the ingest leader's epoch: a fenced store writes only
// while it holds a term, and each write transaction checks, under a share lock on the epoch row,
// that its term is still the current one. A new leader bumps the epoch with an UPDATE of that row,
// which waits for every write already past the check and makes every later check fail: no two
// processes ever write in the same moment, however late one of them learns it lost the lock.
import type pg from 'pg'
import { FencedError } from '../candle-store.js'

export { FencedError, isFenced } from '../candle-store.js'

export const CHECK_EPOCH_SQL = 'SELECT epoch FROM ingest_leader WHERE id = 1 FOR SHARE'

export class WriteFence {
  private epoch: number | undefined

  hold (epoch: number): void {
    this.epoch = epoch
  }

  /** From now on every write is refused, before it reaches the database. */
  revoke (): void {
    this.epoch = undefined
  }

  /** Before a write begins: throws FencedError unless this process holds a term. */
  assertHeld (): number {
    if (this.epoch === undefined) throw new FencedError('write refused: this process is not the ingest leader')
    return this.epoch
  }

  /** Inside the write's transaction: throws FencedError unless this process's term is current. */
  async check (client: pg.Client): Promise<void> {
    const own = this.assertHeld()
    const { rows } = await client.query<[number]>({ text: CHECK_EPOCH_SQL, rowMode: 'array' })
    const current = rows[0]?.[0]
    if (current !== own) {
      this.revoke()
      throw new FencedError(`write refused: leader epoch ${own} was superseded by ${String(current)}`)
    }
  }
}
