-- A double volume as the decimal of 8 places that DuckDB's CAST(v AS DECIMAL(38, 8)) gives, so
-- rolled-up volumes are the same numbers on both stores: v * 1e8 in double precision, rounded
-- half away from zero, taken exactly. PostgreSQL's own float8-to-numeric cast keeps only 15
-- significant digits, so the integer is converted in pieces of at most 2^53 (each exact as a
-- bigint); below 2^63 one piece is enough. Written in SQL so the planner inlines it into the
-- aggregates that call it.
CREATE FUNCTION scaled_integer (y double precision) RETURNS numeric
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
RETURN CASE
  WHEN abs(y) < 9.2e18 THEN y::bigint::numeric
  ELSE sign(y)::numeric * (
    floor(abs(y) / 2::double precision ^ 106)::bigint::numeric * 81129638414606681695789005144064
    + floor((abs(y) - floor(abs(y) / 2::double precision ^ 106) * 2::double precision ^ 106) / 2::double precision ^ 53)::bigint::numeric * 9007199254740992
    + (abs(y) - floor(abs(y) / 2::double precision ^ 53) * 2::double precision ^ 53)::bigint::numeric)
END;

CREATE FUNCTION rounded_half_away (y double precision) RETURNS double precision
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
RETURN trunc(y) + CASE WHEN abs(y - trunc(y)) >= 0.5 THEN sign(y) ELSE 0 END;

CREATE FUNCTION volume_decimal (v double precision) RETURNS numeric
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
RETURN scaled_integer(rounded_half_away(v * 1e8::double precision)) * 0.00000001;
