import { readFileSync } from 'node:fs'
import t from 'tap'
import { json, seededStore, testApp } from '../helpers.js'

// Every candle-window input and its answer (status, error code and message, or on success the
// resolved symbol, interval and row count), recorded from the service before the parameter aliases
// were reshaped. Whatever the route schema or the alias folding look like, these answers hold:
// aliases, their precedence when several are given, and each error's code and wording.
interface Row {
  route: string
  query: string
  status: number
  body: { error: string, message: string } | { rows: number, symbol: string, interval: string }
}
const rows: Row[] = JSON.parse(readFileSync(new URL('./candle-params-contract.json', import.meta.url), 'utf8'))

t.test('candle window parameters answer as recorded', async (t) => {
  const store = await seededStore(t, ['BTCUSDT', 'ETHUSDT'], 2)
  const app = await testApp(t, {}, { store })
  t.ok(rows.length > 80, 'the whole table is loaded')
  for (const row of rows) {
    const res = await app.inject({ method: 'GET', url: `${row.route}?${row.query}` })
    const body = json(res)
    const got = res.statusCode === 200
      ? { rows: body.data.length, symbol: body.symbol, interval: body.interval }
      : body
    t.same({ status: res.statusCode, body: got }, { status: row.status, body: row.body }, `${row.route}?${row.query}`)
  }
})
