// Starts one fake vLLM server (Node side) for the whole workers project and hands its
// URL to the worker bindings through `provide` / `inject`. Each test file addresses its
// own isolated instance under /i/<name>, so files can run concurrently.
import type { TestProject } from 'vitest/node'
import { startFakeVllm } from './fakes/fake-vllm'

export default async function setup(project: TestProject) {
  const server = await startFakeVllm({ port: 0 })
  project.provide('fakeVllmUrl' as never, server.url as never)
  return async () => {
    await server.close()
  }
}
