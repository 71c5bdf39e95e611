-- Archive CSV fields read the way DuckDB's TRY_CAST reads them, so both stores accept and reject
-- the same lines: surrounding whitespace, digit-group underscores (1_000), exponents and a trailing
-- point are accepted; an overflowing double is not a finite number (NULL here, infinity there:
-- the same rejection), an underflowing one is zero. Imports only call these for fields that are
-- not plain decimals, which archive lines never are, so the cost stays off the common path.

-- A decimal with optional sign, underscores between digits and an exponent; NULL for anything else.
CREATE FUNCTION lenient_double (s text) RETURNS double precision
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
DECLARE
  t text := replace(btrim(s, E' \t\n\r\f\v'), '_', '');
BEGIN
  IF btrim(s, E' \t\n\r\f\v') !~ '^[+-]?([0-9]+(_[0-9]+)*(\.([0-9]+(_[0-9]+)*)?)?|\.[0-9]+(_[0-9]+)*)([eE][+-]?[0-9]+(_[0-9]+)*)?$' THEN
    RETURN NULL;
  END IF;
  BEGIN
    RETURN t::double precision;
  EXCEPTION WHEN numeric_value_out_of_range OR invalid_text_representation THEN
    -- Too small for a double (a negative exponent, or a fraction below one): zero, keeping its
    -- sign; too large: no finite number.
    IF t ~* 'e-' OR t ~ '^[+-]?0*\.' THEN
      RETURN CASE WHEN t LIKE '-%' THEN '-0'::double precision ELSE 0 END;
    END IF;
    RETURN NULL;
  END;
END $$;

-- An unsigned 64-bit integer as DuckDB casts text to one: decimals and exponents rounded half away
-- from zero, 0x hexadecimal and 0b binary; NULL when not one or out of range.
CREATE FUNCTION lenient_ubigint (s text) RETURNS numeric
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
DECLARE
  t text := btrim(s, E' \t\n\r\f\v');
  n numeric;
BEGIN
  IF t ~ '^0[xX][0-9a-fA-F]{1,16}$' THEN
    RETURN ('x' || lpad(substr(t, 3), 16, '0'))::bit(64)::bigint::numeric + CASE WHEN ('x' || lpad(substr(t, 3), 16, '0'))::bit(64)::bigint < 0 THEN 18446744073709551616 ELSE 0 END;
  END IF;
  IF t ~ '^0[bB][01]{1,64}$' THEN
    RETURN lpad(substr(t, 3), 64, '0')::bit(64)::bigint::numeric + CASE WHEN lpad(substr(t, 3), 64, '0')::bit(64)::bigint < 0 THEN 18446744073709551616 ELSE 0 END;
  END IF;
  IF t !~ '^[+]?([0-9]+(_[0-9]+)*(\.([0-9]+(_[0-9]+)*)?)?|\.[0-9]+(_[0-9]+)*)([eE][+-]?[0-9]+(_[0-9]+)*)?$' THEN
    RETURN NULL;
  END IF;
  BEGIN
    n := round(replace(t, '_', '')::numeric);
  EXCEPTION WHEN numeric_value_out_of_range OR program_limit_exceeded OR invalid_text_representation THEN
    RETURN NULL;
  END;
  RETURN CASE WHEN n BETWEEN 0 AND 18446744073709551615 THEN n END;
END $$;
