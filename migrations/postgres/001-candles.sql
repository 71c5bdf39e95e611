-- Closed OHLCV candles, shaped like the DuckDB store's: ts is the open time in epoch milliseconds
-- (UTC), symbols are upper case, prices and volumes are the doubles Binance sends. The primary key
-- is the index every window read scans a range of.
CREATE TABLE candles (
  symbol     text             NOT NULL,
  "interval" text             NOT NULL,
  ts         bigint           NOT NULL,
  open       double precision NOT NULL,
  high       double precision NOT NULL,
  low        double precision NOT NULL,
  close      double precision NOT NULL,
  volume     double precision NOT NULL,
  PRIMARY KEY (symbol, "interval", ts)
);

-- Hourly bars rolled up from the stored 1m candles, kept in step by every write, so intervals of
-- 1h and above aggregate 24 rows a day instead of 1440. The volume is an exact decimal of 8
-- places, so extending an hour by new minutes never rounds. `minutes` is how many 1m candles the
-- hour holds and `last_minute` the newest of them.
CREATE TABLE candle_rollups (
  symbol      text             NOT NULL,
  "interval"  text             NOT NULL,
  ts          bigint           NOT NULL,
  open        double precision NOT NULL,
  high        double precision NOT NULL,
  low         double precision NOT NULL,
  close       double precision NOT NULL,
  volume      numeric(38, 8)   NOT NULL,
  minutes     integer          NOT NULL,
  last_minute bigint           NOT NULL,
  PRIMARY KEY (symbol, "interval", ts)
);

-- First and last open time of every stored series other than 1m (the roll-ups give 1m's), so
-- opening the store reads a few rows instead of scanning candles.
CREATE TABLE candle_series (
  symbol     text   NOT NULL,
  "interval" text   NOT NULL,
  first_ts   bigint NOT NULL,
  last_ts    bigint NOT NULL,
  PRIMARY KEY (symbol, "interval")
);
