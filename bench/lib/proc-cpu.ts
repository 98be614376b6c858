/**
 * @module bench/proc-cpu
 * Process CPU time from Linux /proc, for "CPU per request" figures that a busy, shared machine
 * distorts far less than wall latency: user + system time of a process (all its threads),
 * `/proc/<pid>/stat` fields 14 and 15 (proc(5)), in clock ticks of 10 ms (USER_HZ = 100).
 */
import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'

/** CPU ms (user + system) process `pid` has used so far; NaN when it cannot be read. */
export function cpuMs(pid: number): number {
  return statCpuMs(`/proc/${pid}/stat`)
}

/**
 * CPU ms of the process's main thread only (`/proc/<pid>/task/<pid>/stat`, same fields): in workerd
 * the thread that runs the isolates and the HTTP server; V8's helper threads (concurrent GC
 * marking, "V8 DefaultWorker") are the rest of `cpuMs`.
 */
export function mainThreadCpuMs(pid: number): number {
  return statCpuMs(`/proc/${pid}/task/${pid}/stat`)
}

function statCpuMs(path: string): number {
  try {
    const stat = readFileSync(path, 'utf8')
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    // After the command: state is field 3 of stat(5), so utime (14) and stime (15) sit at 11 and 12.
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100
  } catch {
    return Number.NaN
  }
}

/** The workerd processes this process started (Miniflare runs one per instance). */
export function workerdPids(): number[] {
  const out = execFileSync('ps', ['-o', 'pid=,comm=', '--ppid', String(process.pid)], { encoding: 'utf8' })
  return out
    .split('\n')
    .map((l) => l.trim().split(/\s+/u))
    .filter(([, comm]) => comm === 'workerd')
    .map(([pid]) => Number(pid))
}

/** The workerd process that appeared since `before` (the one a Miniflare instance just started). */
export function newWorkerdPid(before: readonly number[]): number {
  const fresh = workerdPids().filter((p) => !before.includes(p))
  if (fresh.length !== 1) throw new Error(`expected one new workerd process, found ${fresh.length}`)
  return fresh[0] as number
}
