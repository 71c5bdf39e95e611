-- The ingest leader's term: the process holding the leader advisory lock bumps epoch when it gains
-- it, and every write of a fenced store checks the epoch it was elected under is still this one.
CREATE TABLE ingest_leader (
  id integer PRIMARY KEY CHECK (id = 1),
  epoch bigint NOT NULL,
  holder text,
  since timestamptz
);
INSERT INTO ingest_leader (id, epoch) VALUES (1, 0);
