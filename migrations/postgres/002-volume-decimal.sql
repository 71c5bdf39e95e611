-- A double volume as the decimal of 8 places that DuckDB's CAST(v AS DECIMAL(38, 8)) gives, so
-- rolled-up volumes are the same numbers on both stores: v * 1e8 in double precision, rounded
-- half away from zero, taken exactly. PostgreSQL's own float8-to-numeric cast keeps only 15
-- significant digits, so the integer is converted in pieces of at most 2^53 (each exact as a
-- bigint); below 2^63 (volumes under 9.2e10) one piece is enough. The common path is written so the
-- planner inlines it into the aggregates that call it (each argument used once, nothing STRICT):
-- a function call per row made roll-ups several times slower.
CREATE FUNCTION scaled_integer (y double precision) RETURNS numeric
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN sign(y)::numeric * (
    floor(abs(y) / 2::double precision ^ 106)::bigint::numeric * 81129638414606681695789005144064
    + floor((abs(y) - floor(abs(y) / 2::double precision ^ 106) * 2::double precision ^ 106) / 2::double precision ^ 53)::bigint::numeric * 9007199254740992
    + (abs(y) - floor(abs(y) / 2::double precision ^ 53) * 2::double precision ^ 53)::bigint::numeric);

CREATE FUNCTION rounded_half_away (y double precision) RETURNS double precision
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN trunc(y) + CASE WHEN abs(y - trunc(y)) >= 0.5 THEN sign(y) ELSE 0 END;

CREATE FUNCTION volume_decimal (v double precision) RETURNS numeric
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN CASE
  WHEN abs(v) < 9.2e10 THEN rounded_half_away(v * 1e8::double precision)::bigint::numeric * 0.00000001
  ELSE scaled_integer(rounded_half_away(v * 1e8::double precision)) * 0.00000001
END;
