// The writer connection of the PostgreSQL store and the one transaction every write commits in:
// rows staged in the temporary table move into candles, and the hourly roll-ups and series ranges
// they touch are brought in step before COMMIT, so no reader ever sees one without the other.
import type pg from 'pg'
import { BASE_INTERVAL, HOUR_MS } from '../../domain/intervals.js'
import type { TimeRange } from '../candle-store.js'
import { hourUpkeep } from '../rollup-plan.js'
import type { SeriesSpan, WritePlan } from '../write-batch.js'
import { FAILOVER_SESSION, connectClient, statementName, type PostgresStoreOptions } from './connection.js'
import { isFenced, type WriteFence } from './write-fence.js'
import {
  CREATE_STAGE_SQL, EXTEND_HOUR_SQL, EXTEND_SERIES_SQL, INSERT_HOURS_SQL, REFRESH_HOURS_SQL, moveStageSql
} from './write-sql.js'

/** The single connection writes go through, with its staging table; replaced after any failure. */
export class Writer {
  private fence?: WriteFence

  private constructor (private readonly opts: PostgresStoreOptions, public client: pg.Client) {}

  static async connect (opts: PostgresStoreOptions, session?: pg.ClientConfig): Promise<Writer> {
    const client = await connectClient(opts, session)
    try {
      await client.query(CREATE_STAGE_SQL)
    } catch (err) {
      await client.end().catch(() => {})
      throw err
    }
    // A connection the server dropped reports here; the next write finds it broken and renews it.
    client.on('error', () => {})
    return new Writer(opts, client)
  }

  /**
   * From now on every transaction first checks `fence` (and is refused with a FencedError when it
   * fails), on a connection with the failover session settings.
   */
  async useFence (fence: WriteFence): Promise<void> {
    this.fence = fence
    await this.renew()
  }

  /** Runs `job` in a transaction; a failure rolls back and replaces the connection. */
  async transaction<T> (job: (client: pg.Client) => Promise<T>): Promise<T> {
    this.fence?.assertHeld()
    try {
      await this.client.query('BEGIN')
      await this.fence?.check(this.client)
      const result = await job(this.client)
      await this.client.query('COMMIT')
      return result
    } catch (err) {
      await this.client.query('ROLLBACK').catch(() => {})
      // A fenced write left the connection sound: nothing to replace.
      if (!isFenced(err)) await this.renew().catch(() => {})
      throw err
    }
  }

  /**
   * A fresh connection instead of one a failed write may have left in an unknown state (or the
   * server dropped); committed data is in the database, so nothing committed is lost.
   */
  async renew (): Promise<void> {
    const fresh = await Writer.connect(this.opts, this.fence === undefined ? undefined : FAILOVER_SESSION)
    const old = this.client
    this.client = fresh.client
    await old.end().catch(() => {})
  }

  async close (): Promise<void> {
    await this.client.end().catch(() => {})
  }
}

const statement = (client: pg.Client, text: string, values: unknown[]) => client.query({ text, values, name: statementName(text) })

/**
 * Moves the staged rows into candles and keeps the roll-ups and series ranges of `spans` in step
 * (`stored`: each span's series range before the write; `plan` from planWrite), inside the
 * caller's transaction.
 */
export async function commitStaged (client: pg.Client, spans: readonly SeriesSpan[], stored: ReadonlyArray<TimeRange | undefined>, plan: WritePlan): Promise<void> {
  await client.query(moveStageSql(plan.replace))
  for (const [i, span] of spans.entries()) {
    if (span.interval !== BASE_INTERVAL) {
      await statement(client, EXTEND_SERIES_SQL, [span.symbol, span.interval, span.first, span.last])
      continue
    }
    const upkeep = hourUpkeep(span, stored[i], plan.appends[i]!)
    if (upkeep.kind === 'rebuild') {
      await statement(client, REFRESH_HOURS_SQL, [span.symbol, upkeep.fromHour, upkeep.toHour + HOUR_MS - 1])
      continue
    }
    if (upkeep.extendHour !== undefined) {
      const { rowCount } = await statement(client, EXTEND_HOUR_SQL, [span.symbol, upkeep.extendHour])
      // The roll-ups always hold the hour of the newest minute; should they not, recompute it.
      if (rowCount !== 1) await statement(client, REFRESH_HOURS_SQL, [span.symbol, upkeep.extendHour, upkeep.extendHour + HOUR_MS - 1])
    }
    if (upkeep.insertFrom !== undefined) await statement(client, INSERT_HOURS_SQL, [span.symbol, upkeep.insertFrom])
  }
}
