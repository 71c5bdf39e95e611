import t from 'tap'
import { ExchangeFatalError, ExchangeUnavailableError, type SymbolMeta } from '../../src/exchange/exchange.js'
import { liveSymbol } from '../../src/ingest/live-symbols.js'
import { isRefusal, lookUpSymbols } from '../../src/ingest/symbol-meta.js'
import { silentLog } from '../../src/log.js'
import { FakeExchange } from './fake-exchange.js'

const BTC: SymbolMeta = { symbol: 'BTCUSDT', base: 'BTC', quote: 'USDT', status: 'TRADING', tickSize: 0.01, stepSize: 0.00001 }
const ETH: SymbolMeta = { symbol: 'ETHUSDT', base: 'ETH', quote: 'USDT', status: 'TRADING' }

/** An exchange that, like Binance, fails a whole exchangeInfo request naming one unlisted symbol. */
function strictExchange (): FakeExchange & { asked: string[][] } {
  const ex = Object.assign(new FakeExchange([], 0), { asked: [] as string[][] })
  ex.exchangeInfo = async (symbols) => {
    ex.asked.push([...symbols])
    const unknown = symbols.find((s) => s !== 'BTCUSDT' && s !== 'ETHUSDT')
    if (unknown !== undefined) throw new ExchangeFatalError(`Invalid symbol ${unknown}`, 400, -1121)
    return [BTC, ETH].filter((m) => symbols.includes(m.symbol))
  }
  return ex
}

t.test('every symbol listed: one request', async (t) => {
  const ex = strictExchange()
  const r = await lookUpSymbols(ex, ['BTCUSDT', 'ETHUSDT'], silentLog)
  t.same([...r!.known.keys()], ['BTCUSDT', 'ETHUSDT'])
  t.same(r!.unknown, [])
  t.same(ex.asked, [['BTCUSDT', 'ETHUSDT']])
})

t.test('an unlisted symbol is found by asking one by one; the others keep their metadata', async (t) => {
  const ex = strictExchange()
  const r = await lookUpSymbols(ex, ['BTCUSDT', 'NOPEUSDT', 'ETHUSDT'], silentLog)
  t.same(r!.unknown, ['NOPEUSDT'])
  t.same(r!.known.get('BTCUSDT'), BTC)
  t.same(ex.asked, [['BTCUSDT', 'NOPEUSDT', 'ETHUSDT'], ['BTCUSDT'], ['NOPEUSDT'], ['ETHUSDT']])
})

t.test('an exchange that cannot answer now leaves the symbols unchecked', async (t) => {
  const ex = new FakeExchange([], 0)
  ex.exchangeInfo = async () => { throw new ExchangeUnavailableError('timed out') }
  t.equal(await lookUpSymbols(ex, ['BTCUSDT'], silentLog), undefined)
})

t.test('a refusal is thrown', async (t) => {
  const ex = new FakeExchange([], 0)
  const refusal = new ExchangeFatalError('Service unavailable from a restricted location', 451)
  ex.exchangeInfo = async () => { throw refusal }
  await t.rejects(lookUpSymbols(ex, ['BTCUSDT'], silentLog), refusal)
  t.equal(isRefusal(refusal), true)
  t.equal(isRefusal(new ExchangeFatalError('bad request', 400)), false)
  t.equal(isRefusal(new Error('451')), false)
})

t.test('liveSymbol carries what the exchange reported, and nothing it did not', async (t) => {
  t.same(liveSymbol('BTCUSDT', BTC, true), { symbol: 'BTCUSDT', active: true, base: 'BTC', quote: 'USDT', tickSize: 0.01, stepSize: 0.00001 })
  t.same(liveSymbol('ETHUSDT', ETH, false), { symbol: 'ETHUSDT', active: false, base: 'ETH', quote: 'USDT' })
  t.same(liveSymbol('XRPUSDT', undefined, true), { symbol: 'XRPUSDT', active: true })
})
