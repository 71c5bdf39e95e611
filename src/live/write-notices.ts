// Keeps every process's picture of a shared store in step through the bus: each committed write
// here goes out as a notice (the touched symbols with their series ranges after it, read from the
// index the write just updated), and each notice of another process's write is taken into the
// store's index without reading storage, which also drops the cached bodies of those symbols.
import { INTERVALS } from '../domain/intervals.js'
import type { CandleStore, SeriesRange } from '../store/candle-store.js'
import type { LiveBus, WriteNotice } from './live-bus.js'

type NoticeStore = Pick<CandleStore, 'onWrite' | 'storedRange' | 'applyRemoteWrite'>

/** Wires the store to the bus both ways; the function returned undoes it. */
export function shareStoreWrites (store: NoticeStore, bus: LiveBus): () => void {
  const offLocal = store.onWrite((symbols, info) => {
    // A write learnt from the bus is another process's, which told everybody itself.
    if (info.remote === true) return
    bus.publishWrite(writeNotice(store, symbols))
  })
  // A store only this process writes has nothing to learn from others.
  const apply = store.applyRemoteWrite?.bind(store)
  const offRemote = apply === undefined ? () => {} : bus.subscribeWrites((notice) => apply(notice.symbols, notice.ranges))
  return () => {
    offLocal()
    offRemote()
  }
}

/** The notice of a write that touched `symbols`, as the store's index has them now. */
export function writeNotice (store: Pick<CandleStore, 'storedRange'>, symbols: Iterable<string>): WriteNotice {
  const list = [...symbols]
  const ranges: SeriesRange[] = []
  for (const symbol of list) {
    for (const interval of INTERVALS) {
      const r = store.storedRange(symbol, interval)
      if (r !== undefined) ranges.push({ symbol, interval, first: r.first, last: r.last })
    }
  }
  return { symbols: list, ranges }
}
