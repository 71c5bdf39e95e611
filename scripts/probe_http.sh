#!/usr/bin/env bash
# Smoke test of a running Trading Viewer API: status codes and JSON shapes of every route.
# Usage: scripts/probe_http.sh HOST:PORT   (needs bash, curl and node; exits 1 on any failure)
set -u
target=${1:-127.0.0.1:8080}
base="http://${target#http://}"
pass=0
fail=0
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT

# check NAME METHOD PATH STATUS [JS] — JS is a predicate over the parsed body `b` (and headers `h`).
check() {
  local name=$1 method=$2 path=$3 want=$4 js=${5:-true}
  local got
  got=$(curl -s -o "$tmp" -D "$tmp.h" -w '%{http_code}' -X "$method" "$base$path" 2>/dev/null)
  if [ "$got" != "$want" ]; then
    echo "FAIL $name: $method $path -> $got (want $want)"; head -c 300 "$tmp"; echo
    fail=$((fail + 1)); return
  fi
  if node -e '
    const fs = require("fs")
    const [bodyFile, headerFile, predicate] = process.argv.slice(1)
    const h = Object.fromEntries(fs.readFileSync(headerFile, "utf8").split(/\r?\n/).slice(1).filter(Boolean)
      .map((l) => [l.slice(0, l.indexOf(":")).toLowerCase(), l.slice(l.indexOf(":") + 1).trim()]))
    let b
    try { b = JSON.parse(fs.readFileSync(bodyFile, "utf8")) } catch { process.exit(3) }
    process.exit(new Function("b", "h", `return (${predicate})`)(b, h) ? 0 : 4)' "$tmp" "$tmp.h" "$js"; then
    echo "ok   $name"
    pass=$((pass + 1))
  else
    echo "FAIL $name: $method $path -> $got but the body does not match: $js"; head -c 300 "$tmp"; echo
    fail=$((fail + 1))
  fi
  rm -f "$tmp.h"
}

isErr='typeof b.error === "string" && typeof b.message === "string"'

check healthz GET /healthz 200 'b.status === "ok" && b.duckdb === "ready" && typeof b.uptimeSec === "number"'
check api-healthz GET /api/healthz 200 'b.status === "ok" && b.duckdb === "ready"'
check readyz GET /readyz 200 'b.status === "ready"'
check version GET /version 200 'typeof b.name === "string" && typeof b.version === "string" && typeof b.duckdb === "string"'
check stats GET /stats 200 'typeof b.uptime_seconds === "number" && typeof b.routes === "object" && "ws_state" in b'
check symbols GET /api/v1/symbols 200 'Array.isArray(b.symbols) && b.symbols.every((s) => typeof s.symbol === "string" && ["active","inactive"].includes(s.status))'

symbol=$(curl -s "$base/api/v1/symbols" | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{try{const b=JSON.parse(s);process.stdout.write(b.symbols[0]?.symbol ?? "")}catch{}})')
if [ -n "$symbol" ]; then
  check intervals GET "/api/v1/intervals?symbol=$symbol" 200 'Array.isArray(b.intervals) && b.intervals.includes("1m")'
  check intervals-ranges GET "/api/v1/symbols/$symbol/intervals?include_ranges=true" 200 'b.intervals.every((i) => typeof i.name === "string")'
  tuple='b.data.every((r) => Array.isArray(r) && r.length === 6 && r.every(Number.isFinite))'
  check candles GET "/api/v1/candles?symbol=$symbol&interval=1m&limit=5" 200 "b.symbol === \"$symbol\" && b.interval === \"1m\" && b.data.length <= 5 && $tuple"
  check candles-1h GET "/api/v1/candles?symbol=$symbol&interval=1h&limit=3" 200 "b.interval === \"1h\" && $tuple"
  check candles-bad-interval GET "/api/v1/candles?symbol=$symbol&interval=7m" 400 "$isErr && b.error === \"interval_invalid\""
  check candles-bad-limit GET "/api/v1/candles?symbol=$symbol&interval=1m&limit=0" 400 "$isErr && /limit/.test(b.message)"
else
  echo "note: no symbols stored or live; skipping the per-symbol checks"
fi
check openapi GET /openapi.json 200 'String(b.openapi).startsWith("3.") && "/api/v1/candles" in b.paths && "/ws" in b.paths'
check ws-without-upgrade GET /ws 426 "$isErr"
check candles-no-symbol GET /api/v1/candles 400 "$isErr"
check candles-unknown GET '/api/v1/candles?symbol=NOSUCHSYMBOL&interval=1m' 404 "$isErr"
check not-found GET /no/such/route 404 "$isErr"
check wrong-method POST /api/v1/candles 405 "$isErr"

# Non-JSON routes: status and a marker of the right format.
check_text() {
  local name=$1 path=$2 pattern=$3
  local body status
  body=$(curl -s -w '\n%{http_code}' "$base$path" 2>/dev/null)
  status=${body##*$'\n'}
  if [ "$status" = 200 ] && printf '%s' "$body" | grep -q -- "$pattern"; then
    echo "ok   $name"; pass=$((pass + 1))
  else
    echo "FAIL $name: GET $path -> $status, expected 200 with $pattern"; fail=$((fail + 1))
  fi
}
check_text metrics /metrics '^tvapi_http_request_duration_seconds_bucket'
check_text docs /docs/ 'swagger'

# check_header NAME PATH HEADER-LINE-REGEX
check_header() {
  if curl -s -D - -o /dev/null "$base$2" | tr -d '\r' | grep -qi -- "$3"; then
    echo "ok   $1"; pass=$((pass + 1))
  else
    echo "FAIL $1: GET $2 lacks a header matching $3"; fail=$((fail + 1))
  fi
}
check_header security-headers /api/v1/symbols '^x-content-type-options: nosniff$'

echo "probe: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
