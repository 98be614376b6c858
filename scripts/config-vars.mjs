/**
 * The environment variables `npm start` hands to the worker (as wrangler vars): every name the
 * worker's config schema (src/config.ts) reads. test/unit/config-vars.test.ts checks that each
 * schema key matches, so a new config var cannot be silently dropped by `npm start`.
 */
export const CONFIG_VAR =
  /^(VLLM_[A-Z_]+|MODEL_REVISION|MAX_[A-Z_]+|BACKEND_[A-Z_]+|CACHE_[A-Z_]+|TEMPLATES[A-Z_]*|FOLDING[A-Z_]*|FUSION[A-Z_]*|EXPERIMENT[A-Z_]*|API_KEYS[A-Z_]*|ADMIN_[A-Z_]+|RATE_[A-Z_]+|UPSTREAM_[A-Z_]+|FALLBACK[A-Z_]*|LOG_[A-Z_]+|STATS_[A-Z_]+)$/
