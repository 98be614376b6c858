#!/usr/bin/env bash
# Acceptance test for a deployed GPU backend, run on the operator's host (needs bash, curl, python3).
# It checks values, not only thresholds, through the proxy:
#   1. GET /health is 200; the served model id is the expected one (/v1/models inside each replica's
#      container when `docker compose` is at hand, where the graded request is also scored by each
#      replica directly and compared; and the `model` field of every rerank reply).
#   2. POST /v1/rerank with each request of smoke/expected.json, formatted exactly as the worker
#      formats it, must return:
#        - usage.prompt_tokens EXACTLY equal to the sum of the pairs' token counts, computed with the
#          real Qwen3 tokenizer (smoke/expected.mjs): a separator or BOS between query and document,
#          a server-side template or a changed instruction shows up as a different count;
#        - the expected ranking: the model card pair (Beijing > 0.9, gravity < 0.1), a graded set of
#          four documents, and the same query and documents under two instructions, where the
#          instruction alone must flip the ranking;
#        - the same scores (|Δ| <= 0.02) in every round (ROUNDS, 4: the proxy spreads the calls, so
#          with two replicas both answer), and as every earlier run recorded for this model in
#          SCORES_FILE, at every TP: run it at TP 1 and again at TP 2 (TP=2 ./smoke-test.sh).
#      It names the two known failure modes: every score ≈ 0.5 (score head not loaded, vLLM #27857)
#      and every score high (prompt not in the Qwen3 format / no hf-overrides, vLLM #23615).
#   3. /v1/rerank without the key is 401 (vLLM's --api-key is on).
#   4. The routes vLLM leaves open (/rerank, /score, /v2/rerank, /metrics, /tokenize, ...) are 404
#      at the proxy.
#   5. A pair longer than MAX_MODEL_LEN is 400 with vLLM 0.13's exact message, token count included.
#
# Usage:   ./smoke-test.sh [BASE_URL]            BASE_URL default http://127.0.0.1:8080
# Env:     VLLM_API_KEY, MODEL / MODEL_SIZE / SERVED_MODEL_NAME / EXPECTED_MODEL, MAX_MODEL_LEN (each from the
#          environment, else ./.env, else ./defaults.env), TP (label of this run's tensor parallel
#          size, 1), SCORES_FILE (./smoke-scores.json), ROUNDS (4), WAIT_SECS (poll /health this long first; 0),
#          DIRECT_URL (vLLM's own URL, for /v1/models when docker compose is not available),
#          SKIP_LONG=1, TIMEOUT (60 s per call).
#          ./smoke-test.sh --print-request [NAME]   prints a rerank request body (model-card) and exits.
# Exit:    0 when every check passes, 1 otherwise. The key is never printed or put on a command line.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
py() { python3 "$here/smoke/check.py" "$@"; }

# A setting from the environment, else the last `NAME=value` line of .env, else defaults.env. The
# files are read, never sourced (they are not ours to execute).
file_value() { # file name
  [ -r "$1" ] || return 0
  local v
  v=$(sed -n "s/^[[:space:]]*$2[[:space:]]*=[[:space:]]*//p" "$1" | tail -n 1)
  v=${v%\"}
  v=${v#\"}
  v=${v%\'}
  v=${v#\'}
  printf '%s' "$v"
}
setting() { # name
  local v=${!1:-}
  [ -n "$v" ] || v=$(file_value "$here/.env" "$1")
  [ -n "$v" ] || v=$(file_value "$here/defaults.env" "$1")
  printf '%s' "$v"
}

# ── settings ───────────────────────────────────────────────────────────────────────────────────
# The served name as the container's entrypoint derives it (from SERVED_MODEL_NAME, MODEL or
# MODEL_SIZE, in .env or the environment), so the two can never disagree.
if [ -n "${EXPECTED_MODEL:-}" ]; then
  expected_model=$EXPECTED_MODEL
elif ! expected_model=$(MODEL=$(setting MODEL) MODEL_SIZE=$(setting MODEL_SIZE) SERVED_MODEL_NAME=$(setting SERVED_MODEL_NAME) \
  bash "$here/entrypoint.sh" --print-served-model-name); then
  echo "smoke-test: cannot tell the served model name (see the entrypoint's error above); set EXPECTED_MODEL" >&2
  exit 2
fi

if [ "${1-}" = "--print-request" ]; then
  py build "${2:-model-card}" "$expected_model"
  exit 0
fi

base_url=${1:-${BASE_URL:-http://127.0.0.1:8080}}
base_url=${base_url%/}
timeout=${TIMEOUT:-60}
max_model_len=$(setting MAX_MODEL_LEN)
tp=${TP:-1}
rounds=${ROUNDS:-4}
case $rounds in
  '' | *[!0-9]* | 0) echo "smoke-test: ROUNDS must be a whole number >= 1, got '$rounds'" >&2; exit 2 ;;
esac
scores_file=${SCORES_FILE:-$here/smoke-scores.json}
# Scores may differ this much between runs (TP 1 vs TP 2, or a rerun): the bf16 tolerance the
# model card comparison uses.
tolerance=0.02

key=${VLLM_API_KEY:-}
[ -n "$key" ] || key=$(file_value "$here/.env" VLLM_API_KEY)
if [ -z "$key" ]; then
  echo "smoke-test: set VLLM_API_KEY (or put it in $here/.env)" >&2
  exit 2
fi

tmp=$(mktemp -d)
chmod 700 "$tmp"
trap 'rm -rf "$tmp"' EXIT
# The key goes to curl through a 0600 file (-H @file), never through argv.
(umask 077 && printf 'Authorization: Bearer %s\n' "$key" >"$tmp/auth")

failures=0
pass() { printf 'PASS  %s\n' "$*"; }
fail() {
  printf 'FAIL  %s\n' "$*"
  failures=$((failures + 1))
}
skip() { printf 'SKIP  %s\n' "$*"; }

# call METHOD PATH [BODY_FILE] [auth]: sets $status; the reply body is in $tmp/body.
call() {
  local method=$1 path=$2 body=${3:-} auth=${4:-}
  local args=(-sS -o "$tmp/body" -w '%{http_code}' --max-time "$timeout" -X "$method")
  [ "$auth" = auth ] && args+=(-H "@$tmp/auth")
  [ -n "$body" ] && args+=(-H 'Content-Type: application/json' --data-binary "@$body")
  status=$(curl "${args[@]}" "$base_url$path" 2>"$tmp/curl-err") || status=000
}

echo "smoke test of $base_url (expecting model \"$expected_model\", MAX_MODEL_LEN=$max_model_len, TP=$tp)"

# 1. health
deadline=$((SECONDS + ${WAIT_SECS:-0}))
while :; do
  call GET /health
  if [ "$status" = 200 ] || [ "$SECONDS" -ge "$deadline" ]; then break; fi
  sleep 10
done
if [ "$status" = 200 ]; then
  pass "GET /health -> 200"
else
  fail "GET /health -> $status $(cat "$tmp/curl-err" "$tmp/body" 2>/dev/null | head -c 200 | tr '\n' ' ')(still loading? WAIT_SECS=900 polls)"
fi

# 1b. served model id from /v1/models, which the proxy does not expose: ask vLLM directly
# (DIRECT_URL), or from inside each replica's container, where the key is read from the container's
# own environment. Inside each replica the graded request is scored too, so every replica is checked
# by value and against the others, whatever the proxy chose.
inside='
import os, sys, urllib.error, urllib.request
path = sys.argv[1]
data = sys.stdin.buffer.read() if path == "/v1/rerank" else None
req = urllib.request.Request("http://127.0.0.1:8000" + path, data=data, headers={
    "Authorization": "Bearer " + os.environ.get("VLLM_API_KEY", ""), "Content-Type": "application/json"})
try:
    print(urllib.request.urlopen(req, timeout=120).read().decode())
except urllib.error.HTTPError as e:
    print(e.read().decode())
    sys.exit(1)
'
replicas=''
if [ -z "${DIRECT_URL:-}" ] && [ -f "$here/compose.yaml" ] && docker compose version >/dev/null 2>&1; then
  replicas=$(cd "$here" && docker compose config --services 2>/dev/null | grep '^reranker-' || true)
fi
if [ -n "${DIRECT_URL:-}" ]; then
  if curl -sS --max-time "$timeout" -H "@$tmp/auth" "${DIRECT_URL%/}/v1/models" -o "$tmp/models" 2>/dev/null; then
    id=$(py models-id "$tmp/models" 2>/dev/null || echo '?')
    if [ "$id" = "$expected_model" ]; then pass "/v1/models data[0].id = $id"; else fail "/v1/models data[0].id = $id, expected $expected_model"; fi
  else
    fail "/v1/models at DIRECT_URL: $(head -c 200 "$tmp/models" 2>/dev/null)"
  fi
elif [ -n "$replicas" ]; then
  py build graded "$expected_model" >"$tmp/graded-direct.json"
  for svc in $replicas; do
    if (cd "$here" && docker compose exec -T "$svc" python3 -c "$inside" /v1/models </dev/null) >"$tmp/models" 2>/dev/null; then
      id=$(py models-id "$tmp/models" 2>/dev/null || echo '?')
      if [ "$id" = "$expected_model" ]; then pass "$svc /v1/models data[0].id = $id"; else fail "$svc /v1/models data[0].id = $id, expected $expected_model"; fi
    else
      fail "$svc /v1/models from inside the container failed (is it running? docker compose ps)"
      continue
    fi
    if (cd "$here" && docker compose exec -T "$svc" python3 -c "$inside" /v1/rerank <"$tmp/graded-direct.json") >"$tmp/direct" 2>/dev/null &&
      out=$(py check graded "$tmp/direct" "$expected_model" "$tmp/replicas.json"); then
      pass "$svc graded, directly: $out"
    else
      fail "$svc graded, directly: ${out:-$(head -c 300 "$tmp/direct")}"
    fi
    out=''
  done
  if [ "$(printf '%s\n' $replicas | wc -l)" -gt 1 ] && [ -f "$tmp/replicas.json" ]; then
    if out=$(py spread "$tmp/replicas.json" "$tolerance" replicas); then pass "replicas alike: $out"; else fail "replicas: $out"; fi
  fi
else
  skip "/v1/models (not exposed by the proxy; run beside compose.yaml or set DIRECT_URL); the rerank reply's model field is checked instead"
fi

# 2. every request of smoke/expected.json, checked by value, ROUNDS times (round 1 reported in full)
rerank_failed=0
names=$(py names)
round=1
while [ "$round" -le "$rounds" ]; do
  for name in $names; do
    [ "$round" = 1 ] && py build "$name" "$expected_model" >"$tmp/$name.json"
    label="POST /v1/rerank $name"
    [ "$round" = 1 ] || label="$label (round $round)"
    call POST /v1/rerank "$tmp/$name.json" auth
    if [ "$status" = 200 ]; then
      if out=$(py check "$name" "$tmp/body" "$expected_model" "$tmp/run.json"); then
        [ "$round" = 1 ] && pass "$label: $out"
      else
        fail "$label: $out"
        rerank_failed=1
      fi
    else
      fail "$label -> $status $(head -c 300 "$tmp/body" 2>/dev/null)"
      rerank_failed=1
    fi
  done
  [ "$rerank_failed" = 0 ] || break
  round=$((round + 1))
done
if [ "$rerank_failed" = 0 ]; then
  if out=$(py spread "$tmp/run.json" "$tolerance"); then
    pass "every round alike: $out"
  else
    fail "rounds: $out"
    rerank_failed=1
  fi
fi

# 2b. the same scores at every TP (and on every rerun) for this model
if [ "$rerank_failed" = 1 ]; then
  skip "score comparison across runs (a rerank check failed; nothing recorded)"
elif out=$(py compare "$scores_file" "$expected_model" "$tp" "$tmp/run.json" "$tolerance"); then
  pass "scores at TP=$tp: $out"
else
  fail "scores at TP=$tp: $out"
fi
cp "$tmp/model-card.json" "$tmp/rerank.json"

# 3. the key is enforced on /v1
call POST /v1/rerank "$tmp/rerank.json"
if [ "$status" = 401 ] && py check-401 "$tmp/body" >/dev/null; then
  pass "POST /v1/rerank without the key -> 401 {\"error\":\"Unauthorized\"}"
elif [ "$status" = 200 ]; then
  fail "POST /v1/rerank without the key -> 200: vLLM runs WITHOUT an API key"
else
  fail "POST /v1/rerank without the key -> $status (expected 401) $(head -c 200 "$tmp/body")"
fi

# 4. what vLLM leaves unguarded must not be reachable (vLLM docs/usage/security.md). A real rerank body, so a leak
# would show as a 200 with scores.
for route in "POST /rerank" "POST /v2/rerank" "POST /score" "POST /v1/score" "POST /pooling" \
  "POST /classify" "POST /invocations" "POST /tokenize" "GET /metrics" "GET /v1/models" \
  "GET /version" "GET /load"; do
  method=${route% *}
  path=${route#* }
  if [ "$method" = POST ]; then call POST "$path" "$tmp/rerank.json"; else call GET "$path"; fi
  case $status in
    404) pass "$route without the key -> 404 at the proxy" ;;
    2??) fail "$route without the key -> $status: the proxy exposes a route vLLM does not guard" ;;
    *) fail "$route without the key -> $status (expected the proxy's 404)" ;;
  esac
done

# 5. over-long pair: 400 with vLLM 0.13's exact message (its token count predicted exactly)
if [ "${SKIP_LONG:-0}" = 1 ]; then
  skip "over-long pair (SKIP_LONG=1)"
else
  out=''
  py build-long "$expected_model" "$max_model_len" >"$tmp/long.json"
  call POST /v1/rerank "$tmp/long.json" auth
  if [ "$status" = 400 ] && out=$(py check-long "$tmp/body" "$max_model_len"); then
    pass "pair over MAX_MODEL_LEN=$max_model_len -> 400: $out"
  else
    fail "pair over MAX_MODEL_LEN=$max_model_len -> $status: ${out:-} $(head -c 300 "$tmp/body")"
  fi
fi

if [ "$failures" -eq 0 ]; then
  echo "all checks passed"
  exit 0
fi
echo "$failures check(s) failed"
exit 1
