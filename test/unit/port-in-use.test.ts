/**
 * scripts/port-in-use.mjs: `npm start` refuses a port someone holds before starting wrangler
 * (test/e2e/npm-start.test.ts checks the whole refusal).
 */
import { createServer, type AddressInfo } from 'node:net'
import { describe, expect, it } from 'vitest'
// @ts-expect-error: a plain .mjs module without types
import { portInUse } from '../../scripts/port-in-use.mjs'

const inUse = portInUse as (port: number, host: string) => Promise<boolean>

describe('portInUse', () => {
  it('is true while a server holds the port and false once it is released', async () => {
    const holder = createServer()
    await new Promise<void>((ok) => holder.listen(0, '127.0.0.1', ok))
    const { port } = holder.address() as AddressInfo
    expect(await inUse(port, '127.0.0.1')).toBe(true)
    await new Promise<void>((ok) => holder.close(() => ok()))
    expect(await inUse(port, '127.0.0.1')).toBe(false)
    // The probe itself let go of it: a second probe still finds it free.
    expect(await inUse(port, '127.0.0.1')).toBe(false)
  })

  it('a server on every interface holds 127.0.0.1 too', async () => {
    const holder = createServer()
    await new Promise<void>((ok) => holder.listen(0, '0.0.0.0', ok))
    const { port } = holder.address() as AddressInfo
    try {
      expect(await inUse(port, '127.0.0.1')).toBe(true)
    } finally {
      await new Promise<void>((ok) => holder.close(() => ok()))
    }
  })
})
