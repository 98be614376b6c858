/**
 * @module auth/client-network
 * The network a client address is counted as, for the failed-authentication lockout. An IPv4
 * address is one client. An IPv6 address is counted by its /64: a subscriber is routinely given a
 * whole /64 or more (RFC 6177 §2; a /64 is the smallest subnet SLAAC works on, RFC 4291 §2.5.1),
 * so counting single addresses would give anyone 2^64 fresh budgets. An IPv4-mapped IPv6 address
 * (::ffff:a.b.c.d, RFC 4291 §2.5.5.2) is its IPv4 address. Pure.
 */

/** `ip` as a counting key: `v4:a.b.c.d`, `v6:<first four groups>/64`, or `raw:<text>` when unparsable. */
export function clientNetwork(ip: string): string {
  if (!ip.includes(':')) return `v4:${ip}`
  const groups = ipv6Groups(ip)
  if (groups === undefined) return `raw:${ip.slice(0, 64)}`
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) {
    const [hi = 0, lo = 0] = groups.slice(6)
    return `v4:${hi >> 8}.${hi & 0xff}.${lo >> 8}.${lo & 0xff}`
  }
  return `v6:${groups
    .slice(0, 4)
    .map((g) => g.toString(16))
    .join(':')}/64`
}

/** The eight 16-bit groups of an IPv6 address (RFC 4291 §2.2 text forms), or undefined. */
function ipv6Groups(text: string): number[] | undefined {
  let s = text.split('%')[0] ?? '' // a zone id (RFC 6874) names a link, not a host
  // A trailing dotted quad (RFC 4291 §2.2, form 3) is the last two groups.
  const quad = /(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/u.exec(s)
  if (quad) {
    const b = quad.slice(1).map(Number)
    if (b.some((x) => x > 255)) return undefined
    s = `${s.slice(0, quad.index)}${(((b[0] as number) << 8) | (b[1] as number)).toString(16)}:${(((b[2] as number) << 8) | (b[3] as number)).toString(16)}`
  }
  const halves = s.split('::')
  if (halves.length > 2) return undefined
  const head = halves[0] ? halves[0].split(':') : []
  const tail = halves.length === 2 && halves[1] ? halves[1].split(':') : []
  const missing = 8 - head.length - tail.length
  if (halves.length === 1 ? missing !== 0 : missing < 1) return undefined
  const groups = [...head, ...Array<string>(halves.length === 2 ? missing : 0).fill('0'), ...tail]
  if (!groups.every((g) => /^[0-9a-fA-F]{1,4}$/u.test(g))) return undefined
  return groups.map((g) => parseInt(g, 16))
}
