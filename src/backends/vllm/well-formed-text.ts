/**
 * @module backends/vllm/well-formed-text
 * Text as vLLM's tokenizer can take it: every lone UTF-16 surrogate replaced by U+FFFD.
 *
 * JSON lets a client send a lone surrogate (`"\ud800"`, RFC 8259 §8.2), and the worker accepts it:
 * its cache keys hash text as WTF-8 (cache/sha256.ts), so such a text is never confused with
 * another. vLLM cannot take it: its Hugging Face fast tokenizer refuses a Python `str` holding a
 * surrogate (`TypeError: TextEncodeInput must be Union[TextInputSequence, Tuple[InputSequence,
 * InputSequence]]`; huggingface/transformers PR #43459 reproduces it), `ServingScores` catches
 * only `ValueError`, and the whole request fails with a 500, which the worker would retry on every
 * replica and count against their circuit breakers. U+FFFD is what a UTF-8 encoder writes for a
 * lone surrogate (WHATWG Encoding, "UTF-8 encode"; TextEncoder does), so the model reads the text
 * as it would have, had the client sent bytes. The fake vLLM (test/fakes/fake-vllm.ts) answers
 * such a request with a 500, as vLLM does.
 */
export function wellFormed(text: string): string {
  // isWellFormed is O(1) for V8's one-byte strings, which cannot hold a surrogate.
  return text.isWellFormed() ? text : text.toWellFormed()
}
