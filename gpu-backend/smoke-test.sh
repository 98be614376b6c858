#!/usr/bin/env bash
# Acceptance test for a deployed GPU backend, run on the operator's host (needs bash, curl, python3).
# Implements the checklist in shared/notes/vllm-qwen3-reranker.md §8 through the proxy:
#   1. GET /health is 200; the served model id is the expected one (/v1/models inside the
#      container when `docker compose` is at hand, and the `model` field of every rerank reply).
#   2. POST /v1/rerank with the model card's pair, formatted in the exact Qwen3 format: the Beijing
#      document must score > 0.9 and rank first, the gravity document < 0.1. It names the two known
#      failure modes: every score ≈ 0.5 (score head not loaded, vLLM #27857) and every score high
#      (prompt not in the Qwen3 format / checkpoint served without the hf-overrides, vLLM #23615).
#   3. /v1/rerank without the key is 401 (vLLM's --api-key is on).
#   4. The routes vLLM leaves open (/rerank, /score, /v2/rerank, /metrics, /tokenize, ...) are 404
#      at the proxy.
#   5. A pair longer than MAX_MODEL_LEN is 400 with the nested error body (the worker truncates).
#
# Usage:   ./smoke-test.sh [BASE_URL]            BASE_URL default http://127.0.0.1:8080
# Env:     VLLM_API_KEY (else read from ./.env beside this script), EXPECTED_MODEL (default from
#          SERVED_MODEL_NAME / MODEL_SIZE, else qwen3-reranker-8b), MAX_MODEL_LEN (8192),
#          WAIT_SECS (poll /health this long first; 0), DIRECT_URL (vLLM's own URL, for
#          /v1/models when docker compose is not available), SKIP_LONG=1, TIMEOUT (60 s per call).
#          ./smoke-test.sh --print-request   prints the rerank request body and exits.
# Exit:    0 when every check passes, 1 otherwise. The key is never printed or put on a command line.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)

# ── JSON work in python3 (stdlib only) ─────────────────────────────────────────────────────────
PY=$(
  cat <<'PYEOF'
import json, math, sys

# Model card strings (QwenLM/Qwen3-Embedding README.md; notes §0 and §3.1).
PREFIX = "<|im_start|>system\nJudge whether the Document meets the requirements based on the Query and the Instruct provided. Note that the answer can only be \"yes\" or \"no\".<|im_end|>\n<|im_start|>user\n"
SUFFIX = "<|im_end|>\n<|im_start|>assistant\n<think>\n\n</think>\n\n"
INSTRUCTION = "Given a web search query, retrieve relevant passages that answer the query"
QUERY = "What is the capital of China?"
DOCS = [
    "The capital of China is Beijing.",
    "Gravity is a force that attracts two bodies towards each other. It gives weight to physical objects and is responsible for the movement of planets around the sun.",
]

def fq(q): return f"{PREFIX}<Instruct>: {INSTRUCTION}\n<Query>: {q}\n"
def fd(d): return f"<Document>: {d}{SUFFIX}"

def load(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)

def fail(msg):
    print(msg)
    sys.exit(1)

mode = sys.argv[1]
if mode == "build-rerank":
    print(json.dumps({"model": sys.argv[2], "query": fq(QUERY), "documents": [fd(d) for d in DOCS]}, indent=2))
elif mode == "build-long":
    # " word" is one token in Qwen's BPE; 1000 more than max_model_len is over by any count.
    doc = "word" + " word" * (int(sys.argv[3]) + 1000)
    print(json.dumps({"model": sys.argv[2], "query": fq(QUERY), "documents": [fd(doc)]}))
elif mode == "check-rerank":
    expected_model = sys.argv[3]
    try:
        body = load(sys.argv[2])
    except ValueError:
        fail("reply is not JSON")
    if body.get("model") != expected_model:
        fail(f"reply model is {body.get('model')!r}, expected {expected_model!r} (SERVED_MODEL_NAME)")
    results = body.get("results")
    if not isinstance(results, list) or len(results) != len(DOCS):
        fail(f"expected {len(DOCS)} results, got {results!r:.200}")
    scores = {}
    for r in results:
        i, s = r.get("index"), r.get("relevance_score")
        if not isinstance(i, int) or i in scores or not 0 <= i < len(DOCS):
            fail(f"bad or duplicate index {i!r}")
        if not isinstance(s, (int, float)) or isinstance(s, bool) or not math.isfinite(s) or not 0 <= s <= 1:
            fail(f"score {s!r} for index {i} is not a finite number in [0, 1]")
        scores[i] = float(s)
    shown = ", ".join(f"doc{i}={scores[i]:.4f}" for i in sorted(scores))
    if all(abs(s - 0.5) < 0.02 for s in scores.values()):
        fail(f"every score ≈ 0.5 ({shown}): the score head is not loaded (vLLM #27857, 8B on 0.11.1rc) "
             "or the checkpoint is FP8-quantized (before vLLM PR #35849); serve the bf16 checkpoint on the pinned image")
    if all(s > 0.5 for s in scores.values()):
        fail(f"every score high ({shown}): the model is not seeing the Qwen3 prompt format: check that "
             "--hf-overrides is passed for the original checkpoint (else vLLM scores embeddings, #23615) "
             "and that no server-side --chat-template re-wraps the already formatted text")
    order = [r["index"] for r in results]
    if [scores[i] for i in order] != sorted(scores.values(), reverse=True):
        fail(f"results are not sorted by score ({shown})")
    if order[0] != 0:
        fail(f"results[0].index is {order[0]}, expected 0 (the Beijing document) ({shown})")
    if not scores[0] > 0.9:
        fail(f"relevant document scored {scores[0]:.4f}, expected > 0.9 ({shown})")
    if not scores[1] < 0.1:
        fail(f"irrelevant document scored {scores[1]:.4f}, expected < 0.1 ({shown})")
    print(shown)
elif mode == "check-error":
    # vLLM >= 0.10.1 nested error body (notes §2.5): {"error":{"message","type","param","code"}}.
    try:
        body = load(sys.argv[2])
    except ValueError:
        fail("error reply is not JSON")
    err = body.get("error") if isinstance(body, dict) else None
    if not isinstance(err, dict) or not isinstance(err.get("message"), str) or not err["message"]:
        fail(f"error reply is not the nested vLLM shape: {json.dumps(body)[:200]}")
    if err.get("code") != int(sys.argv[3]):
        fail(f"error.code is {err.get('code')!r}, expected {sys.argv[3]}")
    print(err["message"][:120])
elif mode == "check-401":
    try:
        body = load(sys.argv[2])
    except ValueError:
        fail("401 reply is not JSON")
    if body != {"error": "Unauthorized"}:
        fail(f"401 reply is not vLLM's {{\"error\":\"Unauthorized\"}}: {json.dumps(body)[:200]}")
elif mode == "models-id":
    body = load(sys.argv[2])
    print(body["data"][0]["id"])
else:
    fail(f"unknown mode {mode}")
PYEOF
)
py() { python3 -c "$PY" "$@"; }

# ── settings ───────────────────────────────────────────────────────────────────────────────────
if [ -n "${SERVED_MODEL_NAME:-}" ]; then
  default_model=$SERVED_MODEL_NAME
elif [ -n "${MODEL_SIZE:-}" ]; then
  default_model="qwen3-reranker-$(printf '%s' "$MODEL_SIZE" | tr '[:upper:]' '[:lower:]')"
else
  default_model=qwen3-reranker-8b
fi
expected_model=${EXPECTED_MODEL:-$default_model}

if [ "${1-}" = "--print-request" ]; then
  py build-rerank "$expected_model"
  exit 0
fi

base_url=${1:-${BASE_URL:-http://127.0.0.1:8080}}
base_url=${base_url%/}
timeout=${TIMEOUT:-60}
max_model_len=${MAX_MODEL_LEN:-8192}

key=${VLLM_API_KEY:-}
if [ -z "$key" ] && [ -r "$here/.env" ]; then
  # Read one line of .env without sourcing it (it is not ours to execute).
  key=$(sed -n 's/^[[:space:]]*VLLM_API_KEY[[:space:]]*=[[:space:]]*//p' "$here/.env" | tail -n 1)
  key=${key%\"}
  key=${key#\"}
  key=${key%\'}
  key=${key#\'}
fi
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

echo "smoke test of $base_url (expecting model \"$expected_model\")"

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

# 1b. served model id from /v1/models, which the proxy does not expose: ask vLLM from inside its
# container (the key is read there from the container's own environment).
models_json=''
if [ -n "${DIRECT_URL:-}" ]; then
  if curl -sS --max-time "$timeout" -H "@$tmp/auth" "${DIRECT_URL%/}/v1/models" -o "$tmp/models" 2>/dev/null; then
    models_json=$tmp/models
  fi
elif [ -f "$here/compose.yaml" ] && docker compose version >/dev/null 2>&1; then
  if (cd "$here" && docker compose exec -T reranker python3 -c '
import json, os, urllib.request
req = urllib.request.Request("http://127.0.0.1:8000/v1/models",
                             headers={"Authorization": "Bearer " + os.environ.get("VLLM_API_KEY", "")})
print(urllib.request.urlopen(req, timeout=10).read().decode())') >"$tmp/models" 2>/dev/null; then
    models_json=$tmp/models
  fi
fi
if [ -n "$models_json" ]; then
  id=$(py models-id "$models_json" 2>/dev/null || echo '?')
  if [ "$id" = "$expected_model" ]; then pass "/v1/models data[0].id = $id"; else fail "/v1/models data[0].id = $id, expected $expected_model"; fi
else
  skip "/v1/models (not exposed by the proxy; run beside compose.yaml or set DIRECT_URL); the rerank reply's model field is checked instead"
fi

# 2. the model card pair, formatted client-side
py build-rerank "$expected_model" >"$tmp/rerank.json"
call POST /v1/rerank "$tmp/rerank.json" auth
if [ "$status" = 200 ]; then
  if out=$(py check-rerank "$tmp/body" "$expected_model"); then
    pass "POST /v1/rerank scores: $out"
  else
    fail "POST /v1/rerank: $out"
  fi
else
  fail "POST /v1/rerank -> $status $(head -c 300 "$tmp/body" 2>/dev/null)"
fi

# 3. the key is enforced on /v1
call POST /v1/rerank "$tmp/rerank.json"
if [ "$status" = 401 ] && py check-401 "$tmp/body" >/dev/null; then
  pass "POST /v1/rerank without the key -> 401 {\"error\":\"Unauthorized\"}"
elif [ "$status" = 200 ]; then
  fail "POST /v1/rerank without the key -> 200: vLLM runs WITHOUT an API key"
else
  fail "POST /v1/rerank without the key -> $status (expected 401) $(head -c 200 "$tmp/body")"
fi

# 4. what vLLM leaves unguarded must not be reachable (notes §2.6). A real rerank body, so a leak
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

# 5. over-long pair: 400 with the nested error body (notes §2.4, §2.5)
if [ "${SKIP_LONG:-0}" = 1 ]; then
  skip "over-long pair (SKIP_LONG=1)"
else
  py build-long "$expected_model" "$max_model_len" >"$tmp/long.json"
  call POST /v1/rerank "$tmp/long.json" auth
  if [ "$status" = 400 ] && out=$(py check-error "$tmp/body" 400); then
    pass "pair over MAX_MODEL_LEN=$max_model_len -> 400: $out"
  else
    fail "pair over MAX_MODEL_LEN=$max_model_len -> $status (expected 400 with error.message) $(head -c 200 "$tmp/body")"
  fi
fi

if [ "$failures" -eq 0 ]; then
  echo "all checks passed"
  exit 0
fi
echo "$failures check(s) failed"
exit 1
