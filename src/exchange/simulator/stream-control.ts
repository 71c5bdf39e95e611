// The control requests a client may send on an open stream connection (SUBSCRIBE, UNSUBSCRIBE,
// LIST_SUBSCRIPTIONS, SET_PROPERTY, GET_PROPERTY), validated and answered with Binance's codes
// and messages. The connection state they act on belongs to the stream hub.

/** What a control request may read or change on its connection. */
export interface ControlSession {
  /** Sends a reply if the connection is still open. */
  reply: (message: object) => void
  subscribe: (names: readonly string[]) => void
  unsubscribe: (names: readonly string[]) => void
  /** Stream names in subscription order. */
  subscriptions: () => string[]
  combined: () => boolean
  setCombined: (on: boolean) => void
}

type ControlId = number | string | null

const REQUEST_ID_RE = /^[A-Za-z0-9_-]{1,36}$/
const METHODS = '`SUBSCRIBE`, `UNSUBSCRIBE`, `LIST_SUBSCRIPTIONS`, `SET_PROPERTY`, `GET_PROPERTY`'

function isStringArray (value: unknown): value is string[] {
  return Array.isArray(value) && value.every(v => typeof v === 'string')
}

/** Handles one text frame from the client; every outcome, errors included, is a reply. */
export function handleControl (text: string, session: ControlSession): void {
  let msg: unknown
  try {
    msg = JSON.parse(text)
  } catch (error) {
    session.reply({ code: 3, msg: `Invalid JSON: ${(error as Error).message}` })
    return
  }
  if (typeof msg !== 'object' || msg === null || Array.isArray(msg)) {
    session.reply({ code: 2, msg: 'Invalid request: expected a JSON object' })
    return
  }
  const req = msg as Record<string, unknown>
  const rawId = req.id
  if (!(rawId === undefined || rawId === null || Number.isSafeInteger(rawId) ||
    (typeof rawId === 'string' && REQUEST_ID_RE.test(rawId)))) {
    session.reply({ code: 2, msg: 'Invalid request: request ID must be an integer, null, or an alphanumeric string of up to 36 characters' })
    return
  }
  const id = (rawId ?? null) as ControlId
  const fail = (code: number, detail: string): void => { session.reply({ code, msg: detail, id }) }
  const params = req.params
  switch (req.method) {
    case 'SUBSCRIBE':
    case 'UNSUBSCRIBE':
      if (!isStringArray(params)) {
        fail(2, 'Invalid request: params must be an array of stream names')
        return
      }
      if (req.method === 'SUBSCRIBE') session.subscribe(params)
      else session.unsubscribe(params)
      session.reply({ result: null, id })
      return
    case 'LIST_SUBSCRIPTIONS':
      session.reply({ result: session.subscriptions(), id })
      return
    case 'SET_PROPERTY':
      if (!Array.isArray(params) || params.length !== 2) fail(2, 'Invalid request: SET_PROPERTY takes [name, value]')
      else if (typeof params[0] !== 'string') fail(2, 'Invalid request: property name must be a string')
      else if (params[0] !== 'combined') fail(0, 'Unknown property')
      else if (typeof params[1] !== 'boolean') fail(1, 'Invalid value type: expected Boolean')
      else {
        session.setCombined(params[1])
        session.reply({ result: null, id })
      }
      return
    case 'GET_PROPERTY':
      if (!Array.isArray(params) || params.length !== 1) fail(2, 'Invalid request: GET_PROPERTY takes [name]')
      else if (typeof params[0] !== 'string') fail(2, 'Invalid request: property name must be a string')
      else if (params[0] !== 'combined') fail(0, 'Unknown property')
      else session.reply({ result: session.combined(), id })
      return
    default:
      if (typeof req.method !== 'string') fail(2, 'Invalid request: missing field `method`')
      else fail(2, `Invalid request: unknown variant \`${req.method}\`, expected one of ${METHODS}`)
  }
}
