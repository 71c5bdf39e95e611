-- First and last open time of every stored series other than 1m (the hourly roll-ups already give
-- 1m's), kept in step by every write and delete, so opening a large database reads a few rows
-- instead of scanning the whole candles table (which also pulled ~55 MB of it into memory).
CREATE TABLE IF NOT EXISTS candle_series (
  symbol   VARCHAR NOT NULL,
  interval VARCHAR NOT NULL,
  first_ts BIGINT  NOT NULL,
  last_ts  BIGINT  NOT NULL,
  PRIMARY KEY (symbol, interval)
);

INSERT OR REPLACE INTO candle_series
SELECT symbol, interval, min(ts), max(ts)
FROM candles
WHERE interval <> '1m'
GROUP BY symbol, interval;
