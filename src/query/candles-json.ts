// The candle response body, `{"symbol","interval","data":[[...],...]}`, encoded straight into a
// Buffer. JSON.stringify of a 5,000-candle page makes one ~350 KB string, which V8 keeps in its
// large-object space until a full collection; here each run of candles is stringified on its own
// (small strings, collected young) and written into a Buffer of the exact size. The bytes are
// those of JSON.stringify over the whole object: an array's JSON is its elements' JSON joined by
// commas.
import type { CandleTuple } from '../domain/candle.js'

/** Candles per stringified run: a few KB of text each. */
const RUN = 64

export function candlesJson (symbol: string, interval: string, data: readonly CandleTuple[]): Buffer {
  const parts = [`${JSON.stringify({ symbol, interval }).slice(0, -1)},"data":[`]
  for (let i = 0; i < data.length; i += RUN) {
    const run = JSON.stringify(data.slice(i, i + RUN))
    parts.push(i === 0 ? run.slice(1, -1) : `,${run.slice(1, -1)}`)
  }
  parts.push(']}')
  let size = 0
  for (const part of parts) size += Buffer.byteLength(part)
  const body = Buffer.allocUnsafe(size)
  let offset = 0
  for (const part of parts) offset += body.write(part, offset)
  return body
}
