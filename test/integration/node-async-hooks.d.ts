// The part of `node:async_hooks` the invocation double uses (subrequest-limit.ts). workerd provides
// it under the `nodejs_compat` flag (wrangler.toml); this project's worker types carry no Node
// types, so it is declared here (the shape of Node's AsyncLocalStorage, nodejs.org/api/async_context.html).
declare module 'node:async_hooks' {
  export class AsyncLocalStorage<T> {
    run<R>(store: T, callback: () => R): R
    getStore(): T | undefined
  }
}
