-- Hourly volume becomes an exact decimal (Binance's 8 places). A stored hour can then be extended
-- by newly appended minutes (stored + new, exactly) instead of being recomputed from its 1m rows,
-- which keeps a live close cheap; a DOUBLE would round on every extension. The hours are rebuilt
-- from the 1m candles, the only source of truth, so no rounding from the old column carries over.
DROP TABLE candle_rollups;
CREATE TABLE candle_rollups (
  symbol      VARCHAR       NOT NULL,
  interval    VARCHAR       NOT NULL,
  ts          BIGINT        NOT NULL,
  open        DOUBLE        NOT NULL,
  high        DOUBLE        NOT NULL,
  low         DOUBLE        NOT NULL,
  close       DOUBLE        NOT NULL,
  volume      DECIMAL(38,8) NOT NULL,
  minutes     INTEGER       NOT NULL,
  last_minute BIGINT        NOT NULL,
  PRIMARY KEY (symbol, interval, ts)
);

INSERT INTO candle_rollups
SELECT symbol, '1h', ts - ts % 3600000 AS hour,
       arg_min(open, ts), max(high), min(low), arg_max(close, ts),
       sum(volume::DECIMAL(38, 8)), count(*)::INTEGER, max(ts)
FROM candles
WHERE interval = '1m'
GROUP BY symbol, hour;
