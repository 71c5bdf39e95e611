-- Hourly bars rolled up from the stored 1m candles, kept in step by every write to candles.
-- Intervals of 1h and above are served from here: a day is 24 rows instead of 1440, so 600 daily
-- bars aggregate 14,400 rows instead of 864,000. `minutes` is how many 1m candles the hour holds
-- and `last_minute` the newest of them (live aggregation continues from there).
CREATE TABLE IF NOT EXISTS candle_rollups (
  symbol      VARCHAR NOT NULL,
  interval    VARCHAR NOT NULL,
  ts          BIGINT  NOT NULL,
  open        DOUBLE  NOT NULL,
  high        DOUBLE  NOT NULL,
  low         DOUBLE  NOT NULL,
  close       DOUBLE  NOT NULL,
  volume      DOUBLE  NOT NULL,
  minutes     INTEGER NOT NULL,
  last_minute BIGINT  NOT NULL,
  PRIMARY KEY (symbol, interval, ts)
);

INSERT OR REPLACE INTO candle_rollups
SELECT symbol, '1h', ts - ts % 3600000 AS hour,
       arg_min(open, ts), max(high), min(low), arg_max(close, ts),
       sum(volume::DECIMAL(38, 8))::DOUBLE, count(*)::INTEGER, max(ts)
FROM candles
WHERE interval = '1m'
GROUP BY symbol, hour;
