/* global document, window, location, history, fetch, WebSocket, URLSearchParams, setTimeout, clearTimeout */
// The chart page's only script. The newest page of candles comes from REST, live partial and
// final candles from /ws, older pages from REST again as the user scrolls left. To leave neither a
// gap nor a duplicate between the REST page and the stream, the page subscribes first and asks REST
// only once the subscription is confirmed; candles arriving meanwhile wait, and those at or after
// the page's last candle are applied on top of it.
import { CandlestickSeries, HistogramSeries, createChart } from '/chart/lightweight-charts.mjs'

const PAGE = 600
const OLDER_WHEN_BARS_LEFT = 30
const RETRY_MIN_MS = 1000
const RETRY_MAX_MS = 30_000
const LATEST_RETRY_MS = 5000
const UP = '#26a69a'
const DOWN = '#ef5350'

const $ = (id) => document.getElementById(id)
const symbolSelect = $('symbol')
const intervalSelect = $('interval')
const connectionEl = $('connection')
const errorEl = $('error')
const legendEl = $('legend')

const chart = createChart($('chart'), {
  autoSize: true,
  // The library's logo injects an inline style, which the page's content policy refuses; the
  // header carries the attribution instead.
  layout: { background: { color: '#131722' }, textColor: '#d1d4dc', attributionLogo: false },
  grid: { vertLines: { color: '#1e222d' }, horzLines: { color: '#1e222d' } },
  timeScale: { timeVisible: true, secondsVisible: false, borderColor: '#2a2e39' },
  rightPriceScale: { borderColor: '#2a2e39' }
})
const candleSeries = chart.addSeries(CandlestickSeries, {
  upColor: UP, downColor: DOWN, wickUpColor: UP, wickDownColor: DOWN, borderVisible: false
})
candleSeries.priceScale().applyOptions({ scaleMargins: { top: 0.08, bottom: 0.26 } })
const volumeSeries = chart.addSeries(HistogramSeries, {
  priceFormat: { type: 'volume' }, priceScaleId: 'volume', lastValueVisible: false, priceLineVisible: false
})
volumeSeries.priceScale().applyOptions({ scaleMargins: { top: 0.8, bottom: 0 } })

const view = {
  symbol: '',
  interval: '',
  /** Ascending [ts, open, high, low, close, volume], as REST and /ws send them. */
  bars: [],
  /** The newest REST page is drawn, so live candles apply directly. */
  ready: false,
  /** Live candles received before that page: ts -> candle, the latest per ts. */
  pending: new Map(),
  /** Bumped by every symbol or interval change: answers for an earlier choice are dropped. */
  generation: 0,
  /** Bumped by every (re)subscription: only the newest one's REST page is applied. */
  sync: 0,
  loadingOlder: false,
  exhausted: false,
  olderPages: 0,
  partials: 0,
  finals: 0,
  connection: 'connecting',
  precision: 2
}

function showError (text) {
  errorEl.textContent = text
  errorEl.hidden = false
}

function clearError () {
  errorEl.hidden = true
  errorEl.textContent = ''
}

function setConnection (state, text = state) {
  view.connection = state
  connectionEl.dataset.state = state
  connectionEl.textContent = text
}

async function api (path) {
  let res
  try {
    res = await fetch(path, { headers: { accept: 'application/json' } })
  } catch (err) {
    throw new Error(`the service did not answer ${path} (${err.message})`)
  }
  const body = await res.json().catch(() => undefined)
  if (!res.ok) throw new Error(`${path}: ${body?.message ?? `HTTP ${res.status}`}`)
  return body
}

function candlesPath (extra = '') {
  return `/api/v1/candles?symbol=${encodeURIComponent(view.symbol)}&interval=${encodeURIComponent(view.interval)}&limit=${PAGE}${extra}`
}

const toCandle = (b) => ({ time: b[0] / 1000, open: b[1], high: b[2], low: b[3], close: b[4] })
const toVolume = (b) => ({ time: b[0] / 1000, value: b[5], color: b[4] >= b[1] ? `${UP}80` : `${DOWN}80` })

function redraw () {
  candleSeries.setData(view.bars.map(toCandle))
  volumeSeries.setData(view.bars.map(toVolume))
  showLegend(view.bars.at(-1))
}

function showLegend (bar) {
  if (bar === undefined) {
    legendEl.textContent = view.ready ? `no candles stored for ${view.symbol} ${view.interval}` : ''
    return
  }
  const p = (x) => x.toFixed(view.precision)
  legendEl.textContent = `O ${p(bar[1])}  H ${p(bar[2])}  L ${p(bar[3])}  C ${p(bar[4])}  V ${bar[5]}`
}

/** Price decimals as stored (up to 8), so a 0.00001-tick coin is not drawn as 0.00. */
function usePrecision (bars) {
  let decimals = 2
  for (const b of bars.slice(-50)) {
    for (let i = 1; i <= 4; i++) decimals = Math.max(decimals, (String(b[i]).split('.')[1] ?? '').length)
  }
  view.precision = Math.min(decimals, 8)
  candleSeries.applyOptions({ priceFormat: { type: 'price', precision: view.precision, minMove: 10 ** -view.precision } })
}

/** One live candle on top of the drawn ones: the forming bar is replaced, a newer one appended. */
function applyLive (bar, final) {
  const last = view.bars.at(-1)
  if (last !== undefined && bar[0] < last[0]) return
  if (last !== undefined && bar[0] === last[0]) view.bars[view.bars.length - 1] = bar
  else view.bars.push(bar)
  candleSeries.update(toCandle(bar))
  volumeSeries.update(toVolume(bar))
  showLegend(bar)
  if (final) view.finals++
  else view.partials++
}

/** The newest page from REST, then the live candles that arrived while it was read. */
async function loadLatest () {
  const { generation } = view
  const sync = ++view.sync
  try {
    const { data } = await api(candlesPath())
    if (generation !== view.generation || sync !== view.sync) return
    const first = data[0]?.[0]
    const last = view.bars.at(-1)
    const fresh = last === undefined
    // After a reconnect the earlier pages are kept when the new page joins them without a hole.
    view.bars = first === undefined || last === undefined || first > last[0]
      ? data
      : view.bars.filter((b) => b[0] < first).concat(data)
    if (data.length > 0) usePrecision(data)
    view.ready = true
    redraw()
    // A new symbol or interval starts at its newest candles, wherever the previous one was scrolled.
    if (fresh) chart.timeScale().resetTimeScale()
    for (const ts of [...view.pending.keys()].sort((a, b) => a - b)) {
      const { bar, final } = view.pending.get(ts)
      applyLive(bar, final)
    }
    view.pending.clear()
    clearError()
  } catch (err) {
    if (generation !== view.generation) return
    // Live candles keep waiting for the page, so a failed read is retried rather than left frozen.
    showError(`${err.message}; retrying in ${LATEST_RETRY_MS / 1000} s`)
    setTimeout(() => { if (generation === view.generation && sync === view.sync) void loadLatest() }, LATEST_RETRY_MS)
  }
}

/** Scrolled near the oldest drawn candle: the page before it, through REST's `to`. */
async function loadOlder () {
  if (!view.ready || view.loadingOlder || view.exhausted || view.bars.length === 0) return
  const { generation } = view
  view.loadingOlder = true
  try {
    const { data } = await api(candlesPath(`&to=${view.bars[0][0] - 1}`))
    if (generation !== view.generation) return
    const first = view.bars[0][0]
    view.bars = data.filter((b) => b[0] < first).concat(view.bars)
    if (data.length < PAGE) view.exhausted = true
    if (data.length > 0) {
      view.olderPages++
      redraw()
    }
  } catch (err) {
    if (generation === view.generation) showError(err.message)
  } finally {
    if (generation === view.generation) view.loadingOlder = false
  }
}

chart.timeScale().subscribeVisibleLogicalRangeChange((range) => {
  if (range !== null && range.from < OLDER_WHEN_BARS_LEFT) void loadOlder()
})

chart.subscribeCrosshairMove((param) => {
  const hovered = param.time === undefined ? undefined : view.bars.find((b) => b[0] === param.time * 1000)
  showLegend(hovered ?? view.bars.at(-1))
})

// The live feed: one socket, one subscription (the topic on screen), reconnected with
// exponential back-off and jitter; every (re)subscription is followed by a fresh REST page.
let socket
let retries = 0
let retryTimer

function send (msg) {
  if (socket?.readyState === WebSocket.OPEN) socket.send(JSON.stringify(msg))
}

function subscribe () {
  view.ready = false
  view.pending.clear()
  send({ event: 'subscribe', symbol: view.symbol, interval: view.interval })
}

function connect () {
  clearTimeout(retryTimer)
  setConnection(retries === 0 ? 'connecting' : 'reconnecting', retries === 0 ? 'connecting' : `reconnecting (attempt ${retries + 1})`)
  const ws = new WebSocket(`${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws`)
  socket = ws
  ws.onopen = () => { if (view.symbol !== '') subscribe() }
  ws.onmessage = (event) => onMessage(JSON.parse(event.data))
  ws.onclose = (event) => {
    if (socket !== ws) return
    socket = undefined
    const delay = Math.min(RETRY_MAX_MS, RETRY_MIN_MS * 2 ** retries) * (0.5 + Math.random() / 2)
    retries++
    const why = event.code === 1006 ? 'connection lost' : `closed ${event.code}${event.reason ? `: ${event.reason}` : ''}`
    setConnection('reconnecting', `${why}; reconnecting in ${Math.ceil(delay / 1000)} s`)
    retryTimer = setTimeout(connect, delay)
  }
}

// Back online: retry now rather than at the end of a long back-off.
window.addEventListener('online', () => { if (socket === undefined) connect() })

function onMessage (msg) {
  const current = msg.symbol === view.symbol && msg.interval === view.interval
  if (msg.type === 'subscribed' && current) {
    retries = 0
    setConnection('live', 'live')
    void loadLatest()
  } else if (msg.type === 'candle' && current) {
    if (view.ready) applyLive(msg.data, msg.final)
    else view.pending.set(msg.data[0], { bar: msg.data, final: msg.final })
  } else if (msg.type === 'error') {
    showError(`live feed: ${msg.message}`)
  }
}

function fill (select, values, selected) {
  select.replaceChildren(...values.map((v) => new window.Option(v, v, false, v === selected)))
  select.disabled = values.length === 0
}

/** Show another symbol or interval: a new subscription, then its newest page. */
async function show (symbol, interval) {
  if (socket?.readyState === WebSocket.OPEN && view.symbol !== '') {
    send({ event: 'unsubscribe', symbol: view.symbol, interval: view.interval })
  }
  view.generation++
  Object.assign(view, { symbol, interval, bars: [], ready: false, loadingOlder: false, exhausted: false, olderPages: 0 })
  view.pending.clear()
  redraw()
  history.replaceState(null, '', `?symbol=${encodeURIComponent(symbol)}&interval=${encodeURIComponent(interval)}`)
  document.title = `${symbol} ${interval} · Trading Viewer`
  // Without a live feed the stored candles are still shown; the next connection resubscribes.
  if (socket?.readyState === WebSocket.OPEN) subscribe()
  else await loadLatest()
}

async function showSymbol (symbol, wantedInterval) {
  const { intervals } = await api(`/api/v1/intervals?symbol=${encodeURIComponent(symbol)}`)
  const interval = intervals.includes(wantedInterval) ? wantedInterval : intervals.includes('1m') ? '1m' : intervals[0]
  fill(intervalSelect, intervals, interval)
  if (interval === undefined) throw new Error(`no intervals are served for ${symbol}`)
  await show(symbol, interval)
}

const guarded = (fn) => (...args) => fn(...args).catch((err) => showError(err.message))

symbolSelect.addEventListener('change', guarded(() => showSymbol(symbolSelect.value, view.interval)))
intervalSelect.addEventListener('change', guarded(() => show(view.symbol, intervalSelect.value)))

async function start () {
  connect()
  const params = new URLSearchParams(location.search)
  const { symbols } = await api('/api/v1/symbols')
  const names = symbols.map((s) => s.symbol)
  const wanted = params.get('symbol')?.toUpperCase()
  const symbol = names.includes(wanted) ? wanted : names[0]
  fill(symbolSelect, names, symbol)
  if (symbol === undefined) throw new Error('no symbols are stored or ingested yet')
  await showSymbol(symbol, params.get('interval') ?? '1m')
}

// A read-only window on the page's state for automated tests and for a look from the devtools;
// nothing on the page reads it.
window.tvChart = Object.freeze({
  bars: () => view.bars.map((b) => b.slice()),
  state: () => ({
    symbol: view.symbol,
    interval: view.interval,
    connection: view.connection,
    ready: view.ready,
    loadingOlder: view.loadingOlder,
    exhausted: view.exhausted,
    olderPages: view.olderPages,
    partials: view.partials,
    finals: view.finals,
    error: errorEl.hidden ? '' : errorEl.textContent
  })
})

guarded(start)()
