import t from 'tap'
import { handleControl, type ControlSession } from '../../../src/exchange/simulator/stream-control.js'

/** A session over plain state that records every reply. */
function session (): ControlSession & { replies: object[], subs: string[], isCombined: boolean } {
  const s = {
    replies: [] as object[],
    subs: [] as string[],
    isCombined: false,
    reply: (message: object) => { s.replies.push(message) },
    subscribe: (names: readonly string[]) => { for (const n of names) if (!s.subs.includes(n)) s.subs.push(n) },
    unsubscribe: (names: readonly string[]) => { s.subs = s.subs.filter(n => !names.includes(n)) },
    subscriptions: () => [...s.subs],
    combined: () => s.isCombined,
    setCombined: (on: boolean) => { s.isCombined = on }
  }
  return s
}

function send (s: ControlSession, body: unknown): void {
  handleControl(typeof body === 'string' ? body : JSON.stringify(body), s)
}

t.test('SUBSCRIBE, UNSUBSCRIBE and LIST_SUBSCRIPTIONS act on the session and answer with the id', async t => {
  const s = session()
  send(s, { method: 'SUBSCRIBE', params: ['a@kline_1m', 'b@kline_1h'], id: 1 })
  send(s, { method: 'UNSUBSCRIBE', params: ['a@kline_1m'], id: 'x-2' })
  send(s, { method: 'LIST_SUBSCRIPTIONS', id: 3 })
  t.same(s.replies, [{ result: null, id: 1 }, { result: null, id: 'x-2' }, { result: ['b@kline_1h'], id: 3 }])
})

t.test('a missing id answers with id null', async t => {
  const s = session()
  send(s, { method: 'LIST_SUBSCRIPTIONS' })
  t.same(s.replies, [{ result: [], id: null }])
})

t.test('SET_PROPERTY and GET_PROPERTY on combined', async t => {
  const s = session()
  send(s, { method: 'SET_PROPERTY', params: ['combined', true], id: 1 })
  t.equal(s.isCombined, true)
  send(s, { method: 'GET_PROPERTY', params: ['combined'], id: 2 })
  t.same(s.replies, [{ result: null, id: 1 }, { result: true, id: 2 }])
})

t.test('malformed requests get Binance\'s codes and change nothing', async t => {
  const cases: Array<[unknown, number, RegExp]> = [
    ['{', 3, /^Invalid JSON: /],
    [[1], 2, /expected a JSON object/],
    [{ method: 'LIST_SUBSCRIPTIONS', id: 'has space' }, 2, /request ID must be/],
    [{ method: 'LIST_SUBSCRIPTIONS', id: 1.5 }, 2, /request ID must be/],
    [{ method: 'SUBSCRIBE', params: 'a@kline_1m', id: 1 }, 2, /params must be an array of stream names/],
    [{ method: 'UNSUBSCRIBE', params: [1], id: 1 }, 2, /params must be an array of stream names/],
    [{ method: 'SET_PROPERTY', params: ['combined'], id: 1 }, 2, /SET_PROPERTY takes \[name, value\]/],
    [{ method: 'SET_PROPERTY', params: [1, true], id: 1 }, 2, /property name must be a string/],
    [{ method: 'SET_PROPERTY', params: ['other', true], id: 1 }, 0, /^Unknown property$/],
    [{ method: 'SET_PROPERTY', params: ['combined', 'yes'], id: 1 }, 1, /expected Boolean/],
    [{ method: 'GET_PROPERTY', params: [], id: 1 }, 2, /GET_PROPERTY takes \[name\]/],
    [{ method: 'GET_PROPERTY', params: [true], id: 1 }, 2, /property name must be a string/],
    [{ method: 'GET_PROPERTY', params: ['other'], id: 1 }, 0, /^Unknown property$/],
    [{ id: 1 }, 2, /missing field `method`/],
    [{ method: 'PING', id: 1 }, 2, /unknown variant `PING`, expected one of `SUBSCRIBE`/]
  ]
  for (const [body, code, msg] of cases) {
    const s = session()
    send(s, body)
    t.equal(s.replies.length, 1, `one reply to ${JSON.stringify(body)}`)
    t.match(s.replies[0], { code, msg }, JSON.stringify(body))
    t.same(s.subs, [], 'no subscription changed')
    t.equal(s.isCombined, false, 'combined unchanged')
  }
})

t.test('an error after a valid id carries it; an invalid id is not echoed', async t => {
  const s = session()
  send(s, { method: 'NOPE', id: 7 })
  send(s, { method: 'NOPE', id: { x: 1 } })
  t.match(s.replies[0], { code: 2, id: 7 })
  t.notOk('id' in s.replies[1]!, 'no id when the id itself is invalid')
})
