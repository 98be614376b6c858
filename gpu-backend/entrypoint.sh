#!/bin/sh
# Builds the `vllm serve` command for Qwen3-Reranker from environment variables and execs it.
#
# Sources: vLLM's code, PRs and issues (github.com/vllm-project/vllm, cited as #N) and the model card
# (QwenLM/Qwen3-Embedding README.md); gpu-backend/README.md explains each choice. Every value is validated
# before vLLM starts, because a bad one otherwise surfaces minutes later, after the weights load.
#
#   MODEL                    HF repo id or local path        default Qwen/Qwen3-Reranker-<MODEL_SIZE>
#   MODEL_SIZE               0.6B | 4B | 8B (shortcut)       default DEFAULT_MODEL_SIZE (or read from MODEL's name)
#   SERVED_MODEL_NAME        name clients send as "model"    default qwen3-reranker-0.6b|-4b|-8b
#   QWEN3_RERANKER_OVERRIDES auto | on | off                 default auto: on unless MODEL is *-seq-cls
#   TENSOR_PARALLEL_SIZE     1 | 2 | 4 | 8; never > 1 for 0.6B (refused)
#   MAX_MODEL_LEN            tokens of the whole formatted pair, <= 32768
#   DTYPE                    bfloat16 | float16 | half | float32 | float | auto
#   GPU_MEMORY_UTILIZATION   fraction in (0, 1]
#   MAX_NUM_SEQS             pairs per engine batch
#   MAX_NUM_BATCHED_TOKENS   prefill token budget per step
#   HOST / PORT              listen address
#   ENFORCE_EAGER            1 = skip CUDA graphs/torch.compile (faster start, slower serving)
#   VLLM_API_KEY             bearer key; vLLM reads it from the environment itself
#   VLLM_API_KEY_FILE        alternative: a file holding the key (Docker/K8s secrets)
#   ALLOW_NO_API_KEY         1 = start without a key (the /v1 routes are then open)
#   DRY_RUN                  1 = print the argv, one argument per line, and exit 0 (same as --print)
#   RERANK_DEFAULTS_FILE     where the defaults are read from    default defaults.env beside this script
#
# Defaults live in ONE place, defaults.env (beside this script here and in the image): each of its
# lines applies to a variable that is unset or empty. An empty value from compose therefore means
# "the default".
#
# Usage: entrypoint.sh [--print | --print-served-model-name] [extra vllm serve flags...]   (extra flags are appended; the last
# occurrence of a flag wins in vLLM's argparse).
#
# The API key never goes on the command line: vLLM falls back to the VLLM_API_KEY environment
# variable when --api-key is absent (vllm/entrypoints/openai/api_server.py,
# `args.api_key or envs.VLLM_API_KEY`), and an argv is readable by every local user through
# `ps` / /proc/<pid>/cmdline and is printed by the dry run.
set -eu

die() {
  printf 'entrypoint: error: %s\n' "$*" >&2
  exit 64 # EX_USAGE (sysexits.h): a configuration error, not a crash
}
warn() { printf 'entrypoint: warning: %s\n' "$*" >&2; }

# An unsigned decimal without leading zeros, at most 9 digits (so shell arithmetic cannot overflow
# and "08" is not read as octal).
is_uint() {
  case $1 in
    0) return 0 ;;
    '' | 0* | *[!0-9]*) return 1 ;;
  esac
  [ "${#1}" -le 9 ]
}

need_uint() { # name value min max
  is_uint "$2" || die "$1 must be a whole number (digits only, no leading zero), got '$2'"
  [ "$2" -ge "$3" ] || die "$1 must be >= $3, got $2"
  [ "$2" -le "$4" ] || die "$1 must be <= $4, got $2"
}

lower() { printf '%s' "$1" | tr '[:upper:]' '[:lower:]'; }

# 0.6B / 4B / 8B from a user's spelling (0.6b, 0.6, 8b, 8 ...); empty when unknown.
canonical_size() {
  case $(lower "$1") in
    0.6b | 0.6) echo 0.6B ;;
    4b | 4) echo 4B ;;
    8b | 8) echo 8B ;;
    *) echo '' ;;
  esac
}

# The size named in a checkpoint id or path (Qwen/Qwen3-Reranker-8B, tomaarsen/Qwen3-Reranker-4B-seq-cls,
# /models/qwen3-reranker-0.6b/); empty when the name does not say.
size_from_model() {
  base=$(lower "$1")
  while [ "${base%/}" != "$base" ]; do base=${base%/}; done
  base=${base##*/}
  case $base in
    *reranker-0.6b | *reranker-0.6b-*) echo 0.6B ;;
    *reranker-4b | *reranker-4b-*) echo 4B ;;
    *reranker-8b | *reranker-8b-*) echo 8B ;;
    *) echo '' ;;
  esac
}

# ── dry-run switch ──────────────────────────────────────────────────────────────────────────────
dry_run=0
case ${DRY_RUN:-0} in
  1 | true | yes) dry_run=1 ;;
  0 | false | no | '') ;;
  *) die "DRY_RUN must be 1 or 0, got '${DRY_RUN}'" ;;
esac
if [ "${1-}" = "--print" ]; then
  dry_run=1
  shift
fi
# --print-served-model-name: print the name the model is served under and exit (smoke-test.sh asks,
# so the name it expects is this script's, whichever of MODEL / MODEL_SIZE / SERVED_MODEL_NAME set it).
print_served=0
if [ "${1-}" = "--print-served-model-name" ]; then
  print_served=1
  shift
fi

# ── defaults (defaults.env) ────────────────────────────────────────────────────────────────────
defaults_file=${RERANK_DEFAULTS_FILE:-$(dirname "$0")/defaults.env}
[ -r "$defaults_file" ] || die "defaults file not readable: $defaults_file (it ships beside entrypoint.sh)"
while IFS= read -r line || [ -n "$line" ]; do
  case $line in
    '' | '#'*) continue ;;
  esac
  name=${line%%=*}
  case $name in
    '' | [!A-Z_]* | *[!A-Z0-9_]*) die "bad line in $defaults_file: '$line'" ;;
  esac
  [ "$name" != "$line" ] || die "bad line in $defaults_file: '$line'"
  # $name is checked above to be an upper-case identifier, so eval sees no user text but the value,
  # which it only assigns.
  eval "current=\${$name-}"
  if [ -z "$current" ]; then
    value=${line#*=}
    eval "$name=\$value"
  fi
done <"$defaults_file"

# Extra flags are passed through, except a key on the command line (see the header).
for arg in "$@"; do
  case $arg in
    --api-key | --api-key=* | --api_key | --api_key=*)
      die "do not pass --api-key on the command line; set VLLM_API_KEY (or VLLM_API_KEY_FILE)" ;;
    --task | --task=*)
      die "--task was removed in vLLM v0.13.0 (PR #30397); this image uses --runner=pooling" ;;
    # The worker sends the Qwen3 prompt already formatted (src/backends/vllm/qwen3-prompt.ts), and
    # this script sets what makes vLLM score it as the model card does. A chat template would wrap
    # the prompt a second time (vLLM applies one to score requests when it is given explicitly,
    # PR #30550), and a later --runner/--hf-overrides/--pooler-config would replace this image's
    # (argparse keeps the last): every score would be silently wrong, so they are refused.
    --chat-template | --chat-template=* | --chat_template | --chat_template=*)
      die "$arg: the worker sends the Qwen3 prompt already formatted; a chat template would wrap it twice" ;;
    --runner | --runner=* | --hf-overrides | --hf-overrides=* | --hf_overrides | --hf_overrides=* | --pooler-config | --pooler-config=* | --pooler_config | --pooler_config=*)
      die "${arg%%=*} is set by this image for Qwen3-Reranker (--runner=pooling and the hf-overrides); passing it would replace that and score wrongly" ;;
  esac
done

# ── model, size, served name ────────────────────────────────────────────────────────────────────
model=${MODEL:-}
size=''
if [ -n "${MODEL_SIZE:-}" ]; then
  size=$(canonical_size "$MODEL_SIZE")
  [ -n "$size" ] || die "MODEL_SIZE must be one of 0.6B, 4B, 8B, got '${MODEL_SIZE}'"
fi
if [ -z "$model" ]; then
  size=${size:-$(canonical_size "$DEFAULT_MODEL_SIZE")}
  [ -n "$size" ] || die "DEFAULT_MODEL_SIZE in $defaults_file must be one of 0.6B, 4B, 8B, got '$DEFAULT_MODEL_SIZE'"
  model="Qwen/Qwen3-Reranker-$size"
else
  case $model in
    *[[:space:]]*) die "MODEL must not contain whitespace, got '$model'" ;;
  esac
  named=$(size_from_model "$model")
  if [ -n "$size" ] && [ -n "$named" ] && [ "$size" != "$named" ]; then
    die "MODEL_SIZE=$size contradicts MODEL=$model (a $named checkpoint); set only one of them"
  fi
  size=${size:-$named}
fi

model_lc=$(lower "$model")
is_seq_cls=0
case $model_lc in
  *seq-cls*) is_seq_cls=1 ;;
esac
case $model_lc in
  *fp8* | *nvfp4* | *fp4* | *awq* | *gptq* | *int8* | *int4*)
    warn "quantized Qwen3-Reranker checkpoints scored 0 (FP8) or failed to load (NVFP4) until vLLM PR #35849 (Mar 2026), which this image predates; serve bf16 (gpu-backend/README.md, Known vLLM pitfalls)" ;;
esac

if [ -n "${SERVED_MODEL_NAME:-}" ]; then
  served=$SERVED_MODEL_NAME
  case $served in
    *[!A-Za-z0-9._:/-]*) die "SERVED_MODEL_NAME may only contain letters, digits and . _ : / -, got '$served'" ;;
  esac
elif [ -n "$size" ]; then
  served="qwen3-reranker-$(lower "$size")"
else
  die "cannot tell the model size from MODEL=$model; set SERVED_MODEL_NAME (and TENSOR_PARALLEL_SIZE if not 1)"
fi
if [ "$print_served" = 1 ]; then
  printf '%s\n' "$served"
  exit 0
fi

# ── hf-overrides: the original checkpoints are Qwen3ForCausalLM; without these vLLM silently scores
# them as an embedding model (cosine similarity, issue #23615) instead of P(yes): `from_2_way_softmax`
# builds the score head from lm_head[yes] − lm_head[no] (vllm/model_executor/models/adapters.py). The
# *-seq-cls conversions already are sequence classifiers and must not get them.
overrides_json='{"architectures":["Qwen3ForSequenceClassification"],"classifier_from_token":["no","yes"],"is_original_qwen3_reranker":true}'
case ${QWEN3_RERANKER_OVERRIDES:-auto} in
  auto) if [ "$is_seq_cls" = 1 ]; then use_overrides=0; else use_overrides=1; fi ;;
  on | 1 | true) use_overrides=1 ;;
  off | 0 | false) use_overrides=0 ;;
  *) die "QWEN3_RERANKER_OVERRIDES must be auto, on or off, got '${QWEN3_RERANKER_OVERRIDES}'" ;;
esac

# ── parallelism and engine sizing ───────────────────────────────────────────────────────────────
tp=$TENSOR_PARALLEL_SIZE
case $tp in
  1 | 2 | 4 | 8) ;;
  # All three sizes have 8 KV heads (Qwen3 config.json num_key_value_heads), so TP must divide 8.
  *) die "TENSOR_PARALLEL_SIZE must be 1, 2, 4 or 8 (Qwen3-Reranker has 8 KV heads), got '$tp'" ;;
esac
if [ "$tp" != 1 ]; then
  # 0.6B fits any card many times over: TP only adds all-reduce traffic, and vLLM issue #23804 reports
  # ranking accuracy dropping as TP grows. No setting overrides this: run replicas instead.
  [ "$size" != 0.6B ] ||
    die "TENSOR_PARALLEL_SIZE=$tp with the 0.6B model is refused: run one replica per GPU at TP 1 (compose.gpus2.yaml), not compose.tp2.yaml"
  warn "tensor parallel size $tp: TP only shortens one large batch; one TP-1 replica per GPU gives more total throughput, and vLLM #23804 reports ranking drift as TP grows: run smoke-test.sh at TP 1 and at TP $tp (TP=$tp ./smoke-test.sh) to compare scores"
fi

max_model_len=$MAX_MODEL_LEN
# 32768: the sequence length in the model card (QwenLM/Qwen3-Embedding README.md).
need_uint MAX_MODEL_LEN "$max_model_len" 1 32768

dtype=$DTYPE
case $dtype in
  bfloat16 | float32 | float | auto) ;;
  float16 | half) warn "fp16 has caused accuracy complaints with this model (vLLM issue #20478); prefer bfloat16, or float32 on GPUs without bf16" ;;
  *) die "DTYPE must be bfloat16, float16, half, float32, float or auto, got '$dtype'" ;;
esac

gpu_mem=$GPU_MEMORY_UTILIZATION
case $gpu_mem in
  1 | 1. | 1.0 | 1.00) ;;
  0.*[!0-9]* | 0.) die "GPU_MEMORY_UTILIZATION must be a fraction in (0, 1], got '$gpu_mem'" ;;
  0.*)
    case ${gpu_mem#0.} in
      *[1-9]*) ;;
      *) die "GPU_MEMORY_UTILIZATION must be greater than 0, got '$gpu_mem'" ;;
    esac ;;
  *) die "GPU_MEMORY_UTILIZATION must be a fraction in (0, 1] such as 0.90, got '$gpu_mem'" ;;
esac

max_num_seqs=$MAX_NUM_SEQS
need_uint MAX_NUM_SEQS "$max_num_seqs" 1 65536
max_batched=$MAX_NUM_BATCHED_TOKENS
need_uint MAX_NUM_BATCHED_TOKENS "$max_batched" 1 1048576
# vLLM's SchedulerConfig refuses max_num_batched_tokens < max_num_seqs.
[ "$max_batched" -ge "$max_num_seqs" ] ||
  die "MAX_NUM_BATCHED_TOKENS ($max_batched) must be >= MAX_NUM_SEQS ($max_num_seqs)"
[ "$max_batched" -ge "$max_model_len" ] ||
  warn "MAX_NUM_BATCHED_TOKENS ($max_batched) < MAX_MODEL_LEN ($max_model_len): a long pair is prefilled in chunks over several steps"

host=$HOST
case $host in
  '' | *[!A-Za-z0-9.:_-]*) die "HOST must be an address such as 0.0.0.0, got '$host'" ;;
esac
port=$PORT
need_uint PORT "$port" 1 65535

enforce_eager=0
case ${ENFORCE_EAGER:-0} in
  1 | true | yes) enforce_eager=1 ;;
  0 | false | no | '') ;;
  *) die "ENFORCE_EAGER must be 1 or 0, got '${ENFORCE_EAGER}'" ;;
esac

# ── API key (read here only to check it is there; never printed) ──────────────────────────────
if [ -n "${VLLM_API_KEY_FILE:-}" ]; then
  [ -z "${VLLM_API_KEY:-}" ] || die "set VLLM_API_KEY or VLLM_API_KEY_FILE, not both"
  [ -r "$VLLM_API_KEY_FILE" ] || die "VLLM_API_KEY_FILE is not a readable file: $VLLM_API_KEY_FILE"
  # $(...) drops the trailing newline that editors and `echo` leave in secret files.
  VLLM_API_KEY=$(cat "$VLLM_API_KEY_FILE")
  export VLLM_API_KEY
fi
if [ -z "${VLLM_API_KEY:-}" ]; then
  case ${ALLOW_NO_API_KEY:-0} in
    1 | true | yes)
      warn "starting WITHOUT an API key (ALLOW_NO_API_KEY=1): every route, /v1/rerank included, is open to anyone who can reach port $port" ;;
    *)
      die "VLLM_API_KEY is not set; generate one with 'openssl rand -hex 32' (or set ALLOW_NO_API_KEY=1 for a throwaway local run)" ;;
  esac
else
  case $VLLM_API_KEY in
    *[[:space:]]*) die "VLLM_API_KEY must not contain whitespace (it travels in an 'Authorization: Bearer' header)" ;;
  esac
  [ "${#VLLM_API_KEY}" -ge 16 ] || die "VLLM_API_KEY is too short (fewer than 16 characters); generate one with 'openssl rand -hex 32'"
  export VLLM_API_KEY
fi

# ── argv: built after the caller's extra flags, then rotated so the extras come last ───────────
n_extra=$#
set -- "$@" vllm serve "$model" --runner=pooling
if [ "$use_overrides" = 1 ]; then
  set -- "$@" "--hf-overrides=$overrides_json"
fi
set -- "$@" \
  "--served-model-name=$served" \
  "--dtype=$dtype" \
  "--max-model-len=$max_model_len" \
  "--tensor-parallel-size=$tp" \
  "--gpu-memory-utilization=$gpu_mem" \
  "--max-num-seqs=$max_num_seqs" \
  "--max-num-batched-tokens=$max_batched" \
  --enable-prefix-caching \
  "--host=$host" \
  "--port=$port"
if [ "$enforce_eager" = 1 ]; then
  set -- "$@" --enforce-eager
fi
i=0
while [ "$i" -lt "$n_extra" ]; do
  set -- "$@" "$1"
  shift
  i=$((i + 1))
done

if [ "$dry_run" = 1 ]; then
  key=${VLLM_API_KEY:-}
  for arg in "$@"; do
    # Belt and braces: the key is never put in argv above, but an extra flag could carry it.
    if [ -n "$key" ]; then
      while :; do
        case $arg in
          *"$key"*) arg="${arg%%"$key"*}<redacted>${arg#*"$key"}" ;;
          *) break ;;
        esac
      done
    fi
    printf '%s\n' "$arg"
  done
  exit 0
fi

printf 'entrypoint: serving %s as "%s" (tp=%s, max_model_len=%s, dtype=%s, overrides=%s)\n' \
  "$model" "$served" "$tp" "$max_model_len" "$dtype" "$use_overrides" >&2
# exec: vLLM replaces this shell, so `docker stop`'s SIGTERM reaches it directly.
exec "$@"
