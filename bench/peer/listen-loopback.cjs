// Preload for Portkey's gateway (`node --require ./listen-loopback.cjs …`): its start script has no
// host flag and listens on every interface (@portkey-ai/gateway build/start-server.js, 1.15.2);
// the benchmark must stay on loopback, so every server.listen is forced onto 127.0.0.1.
'use strict'
const net = require('node:net')
const listen = net.Server.prototype.listen
net.Server.prototype.listen = function (...args) {
  const cb = typeof args[args.length - 1] === 'function' ? args.pop() : undefined
  let options
  if (args[0] !== null && typeof args[0] === 'object') options = { ...args[0], host: '127.0.0.1' }
  else options = { port: args[0] === undefined ? 0 : Number(args[0]), host: '127.0.0.1' }
  return cb ? listen.call(this, options, cb) : listen.call(this, options)
}
