// How the store keeps a write of any size inside DuckDB's memory limit.
//
// Two things grow with the rows written, not with the size of one write:
// - the primary-key index: DuckDB keeps the index entries added since the last checkpoint in
//   memory, and a large INSERT writes its rows straight into the database file, so the WAL stays
//   small and never triggers DuckDB's own checkpoint (5M seeded rows held ~330 MB of index and
//   failed at 192 MB). After a checkpoint the index lives in the file and is paged in on demand.
// - the staging table: deleting its rows leaves their memory allocated, so it is recreated for
//   every write instead (it held ~130 MB after 1.5M rows otherwise). A fresh table per write also
//   means rows of a write that failed halfway can never be committed by the next one.
import type { DuckDBConnection } from '@duckdb/node-api'
import { DATABASE_ALIAS } from './database.js'

/** Rows committed per transaction at most; a larger write is committed in parts of this size. */
export const MAX_TRANSACTION_ROWS = 100_000
/** Committed rows after which the store checkpoints, moving the new index entries to the file. */
export const CHECKPOINT_EVERY_ROWS = 250_000

export const STAGE_TABLE = 'candles_stage'

/** An empty staging table shaped like candles, replacing whatever a previous write left. */
export async function resetStage (con: DuckDBConnection): Promise<void> {
  await con.run(`CREATE OR REPLACE TEMP TABLE ${STAGE_TABLE} AS SELECT * FROM candles LIMIT 0`)
}

/** Drops the staging table's rows and memory once a write is done with them. */
export async function dropStage (con: DuckDBConnection): Promise<void> {
  await con.run(`DROP TABLE IF EXISTS ${STAGE_TABLE}`)
}

/** Counts committed rows and says when a checkpoint is due. */
export class CheckpointBudget {
  private rows = 0

  constructor (private readonly everyRows = CHECKPOINT_EVERY_ROWS) {}

  /** Notes `rows` committed; true once enough have been since the last checkpoint. */
  committed (rows: number): boolean {
    this.rows += rows
    return this.rows >= this.everyRows
  }

  checkpointed (): void {
    this.rows = 0
  }
}

/**
 * A bulk copy outside the store (a restore, a legacy migration) in transactions of at most
 * MAX_TRANSACTION_ROWS: `insertPart(lo, hi)` inserts the source rows numbered [lo, hi) and
 * resolves to the rows it inserted, for parts covering [0, end); `budget` says when to checkpoint.
 */
export async function insertInParts (
  con: DuckDBConnection, end: bigint, budget: CheckpointBudget, insertPart: (lo: bigint, hi: bigint) => Promise<number>
): Promise<void> {
  const size = BigInt(MAX_TRANSACTION_ROWS)
  for (let lo = 0n; lo < end; lo += size) {
    if (budget.committed(await insertPart(lo, lo + size))) {
      await con.run(`CHECKPOINT ${DATABASE_ALIAS}`)
      budget.checkpointed()
    }
  }
}
