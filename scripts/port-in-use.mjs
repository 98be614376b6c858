/**
 * Whether `npm start` can have the port: wrangler, given a port someone holds, fails only after
 * its build and bindings table with "Address already in use … specify a different port with
 * --port" (an option `npm start` does not take: PORT does), and until it exits our /healthz poll
 * could reach the other server and print its banner. So the port is tried first, the way wrangler
 * will listen (127.0.0.1, scripts/start.mjs `--ip`).
 */
import { createServer } from 'node:net'

/**
 * Resolves true when `host:port` cannot be listened on because it is taken (EADDRINUSE), false
 * when it is free (the probe closes at once). Any other error (EACCES for a port below 1024, …)
 * is thrown: it is not "in use" and would be misreported as such.
 * @param {number} port
 * @param {string} host
 * @returns {Promise<boolean>}
 */
export function portInUse(port, host) {
  return new Promise((resolve, reject) => {
    const probe = createServer()
    probe.once('error', (/** @type {NodeJS.ErrnoException} */ e) => (e.code === 'EADDRINUSE' ? resolve(true) : reject(e)))
    probe.listen({ port, host, exclusive: true }, () => probe.close(() => resolve(false)))
  })
}
