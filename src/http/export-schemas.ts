// TypeBox schemas of GET /api/v1/export: the query and the three body types it streams.
import { Type } from 'typebox'
import { INTERVALS } from '../domain/intervals.js'
import { EXPORT_FORMATS } from '../export/export-format.js'

const timeDescription = 'Epoch seconds or milliseconds (digits; values below 1e12 are seconds), or an ISO-8601 date (2024-01-01, UTC midnight) or date-time (2024-01-01T12:00:00Z; no offset is UTC)'

export const ExportQuery = Type.Object({
  symbol: Type.Optional(Type.String({ maxLength: 40, description: 'Symbol, any case (required)', examples: ['BTCUSDT'] })),
  interval: Type.Optional(Type.String({ maxLength: 8, description: `Interval (required): ${INTERVALS.join(' ')}; intervals not stored natively are rolled up from 1m as on /api/v1/candles`, examples: ['1h'] })),
  from: Type.Optional(Type.String({ maxLength: 40, description: `Inclusive lower bound on open time; default: the first stored candle. ${timeDescription}`, examples: ['2024-01-01'] })),
  to: Type.Optional(Type.String({ maxLength: 40, description: `Inclusive upper bound on open time; default: the last stored candle. ${timeDescription}`, examples: ['2024-01-31T23:59:00Z'] })),
  format: Type.Optional(Type.String({ enum: [...EXPORT_FORMATS], default: 'csv', description: 'csv (Binance archive columns, importable with tv-api import), ndjson (one JSON object per line) or parquet' })),
  header: Type.Optional(Type.String({ description: 'CSV only: true (default) starts the file with the column names; false writes data lines only, like Binance spot archives' }))
})

const disposition = {
  'content-disposition': Type.String({
    description: 'attachment; filename="BTCUSDT-1m-2024-01-01_2024-01-31T2359.csv": symbol, interval (1mo for 1M) and the UTC open times of the first and last candle held'
  })
}

/** The 200 answer, one body type per format (a stream; no JSON serialisation applies). */
export const ExportResponse = {
  description: 'Every candle of the range, ascending by open time, streamed',
  headers: disposition,
  content: {
    'text/csv': {
      schema: Type.String({ description: 'Optional header line, then open_time,open,high,low,close,volume,close_time,quote_volume,count,taker_buy_volume,taker_buy_quote_volume,ignore per candle (times in epoch ms; the four volumes/count the service does not store are empty, ignore is 0)' })
    },
    'application/x-ndjson': {
      schema: Type.String({ description: 'One {"open_time","open","high","low","close","volume","close_time"} object per line' })
    },
    'application/vnd.apache.parquet': {
      schema: Type.String({ format: 'binary', description: 'Parquet (zstd): open_time BIGINT, open, high, low, close, volume DOUBLE, close_time BIGINT' })
    }
  }
}
