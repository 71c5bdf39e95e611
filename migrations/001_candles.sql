-- Closed OHLCV candles. ts is the candle open time in epoch milliseconds (UTC); symbols are upper case.
-- 1m is the base interval; other intervals are stored only when imported or backfilled natively.
CREATE TABLE IF NOT EXISTS candles (
  symbol   VARCHAR NOT NULL,
  interval VARCHAR NOT NULL,
  ts       BIGINT  NOT NULL,
  open     DOUBLE  NOT NULL,
  high     DOUBLE  NOT NULL,
  low      DOUBLE  NOT NULL,
  close    DOUBLE  NOT NULL,
  volume   DOUBLE  NOT NULL,
  PRIMARY KEY (symbol, interval, ts)
);
