// The slice of the untyped legacy connector (@binance/connector 3.6.1, pinned) the exchange layer uses.
declare module '@binance/connector' {
  export interface ConnectorLogger {
    debug (...args: unknown[]): void
    info (...args: unknown[]): void
    warn (...args: unknown[]): void
    error (...args: unknown[]): void
    log? (...args: unknown[]): void
  }

  export interface ConnectorResponse<T> {
    status: number
    headers: Record<string, string | undefined>
    data: T
  }

  export interface SpotOptions {
    baseURL?: string
    timeout?: number
    logger?: ConnectorLogger
  }

  export class Spot {
    constructor (apiKey?: string, apiSecret?: string, options?: SpotOptions)
    ping (): Promise<ConnectorResponse<Record<string, never>>>
    time (): Promise<ConnectorResponse<{ serverTime: number }>>
    exchangeInfo (options?: { symbol?: string, symbols?: string[] }): Promise<ConnectorResponse<unknown>>
    klines (symbol: string, interval: string, options?: { startTime?: number, endTime?: number, limit?: number }): Promise<ConnectorResponse<unknown>>
  }

  export interface WebsocketCallbacks {
    open? (client: WebsocketStream): void
    close? (): void
    message? (data: string): void
    ping? (): void
    pong? (): void
    error? (): void
  }

  export interface WebsocketStreamOptions {
    wsURL?: string
    combinedStreams?: boolean
    reconnectDelay?: number
    logger?: ConnectorLogger
    callbacks?: WebsocketCallbacks
  }

  export class WebsocketStream {
    constructor (options?: WebsocketStreamOptions)
    reconnectDelay: number
    /** Internal, but the only handle on the socket: `{ ws, closeInitiated }`. */
    wsConnection: { ws?: import('ws').WebSocket, closeInitiated?: boolean }
    initConnect (url: string): void
    isConnected (): boolean
    subscribe (stream: string | string[]): void
    unsubscribe (stream: string | string[]): void
    disconnect (): void
  }
}
