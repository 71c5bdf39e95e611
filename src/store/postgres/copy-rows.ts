// Candles into a table through COPY ... FROM STDIN, the bulk path PostgreSQL loads fastest: rows
// are encoded as COPY text in chunks and streamed, so a large batch never becomes one string.
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import type pg from 'pg'
import { from as copyFrom } from 'pg-copy-streams'
import type { Candle } from '../../domain/candle.js'

/** Rows per encoded chunk: some tens of kB of text. */
const CHUNK_ROWS = 1000

/** A string as a COPY text field (symbols and intervals never need escaping; the check is cheap). */
function field (value: string): string {
  return /[\\\t\n\r]/.test(value) ? value.replace(/[\\\t\n\r]/g, (ch) => ({ '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' })[ch]!) : value
}

// Numbers print as their shortest exact decimal, which float8in reads back to the same double.
function * chunks (candles: readonly Candle[]): Generator<string> {
  for (let i = 0; i < candles.length; i += CHUNK_ROWS) {
    let text = ''
    const end = Math.min(candles.length, i + CHUNK_ROWS)
    for (let j = i; j < end; j++) {
      const c = candles[j]!
      text += `${field(c.symbol)}\t${field(c.interval)}\t${c.ts}\t${c.open}\t${c.high}\t${c.low}\t${c.close}\t${c.volume}\n`
    }
    yield text
  }
}

/** Copies candles into `table` (columns in candles order) on `client`; resolves to the rows copied. */
export async function copyCandles (client: pg.ClientBase, table: string, candles: readonly Candle[]): Promise<number> {
  const stream = client.query(copyFrom(`COPY ${table} FROM STDIN`))
  await pipeline(Readable.from(chunks(candles)), stream)
  return stream.rowCount
}

/** Copies a file's bytes into `target` (a COPY ... FROM STDIN statement) on `client`. */
export async function copyStream (client: pg.ClientBase, target: string, source: NodeJS.ReadableStream): Promise<number> {
  const stream = client.query(copyFrom(target))
  await pipeline(source, stream)
  return stream.rowCount
}
