/**
 * @module observability/request-stats
 * The isolate's one rolling-stats instance, shared by the access log (writer) and GET /v1/stats
 * (reader).
 */
import { RollingStats } from './rolling-stats'

export const requestStats = new RollingStats({ capacity: 10_000, windowMs: 5 * 60_000 })
