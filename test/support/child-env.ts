/**
 * A child process's whole environment. Typed as NodeJS.ProcessEnv, which the worker's generated
 * types extend with the worker's required variables; a child here gets exactly these and no more.
 */
export function childEnv(env: Record<string, string>): NodeJS.ProcessEnv {
  return env as NodeJS.ProcessEnv
}
