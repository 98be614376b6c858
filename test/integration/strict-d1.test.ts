/**
 * The D1 doubles are as strict as D1 on size (developers.cloudflare.com/d1/platform/limits,
 * "Maximum string, BLOB or table row size", "Maximum query result size"): the binding the worker is
 * called with refuses a bound value over the limit and a result over 50 MB (helpers.ts `strictD1`),
 * and the test database itself refuses a row over the size limit (test/strict-d1-rows.ts), whether
 * its values were bound or computed in SQL. Each case is run at the
 * limit's edge, so a double that stopped refusing, or refused too much, fails here.
 */
import { describe, expect, it } from 'vitest'
import { D1_MAX_ROW_BYTES } from '../strict-d1-rows'
import { D1_MAX_RESULT_BYTES, D1_MAX_VALUE_BYTES, D1_RESULT_TOO_LARGE, workerEnv } from './helpers'
import { db } from './experiments-helpers'

const strictDb = (): D1Database => {
  if (workerEnv.DB === undefined) throw new Error('test env has no DB binding')
  return workerEnv.DB
}

/** Inserts an experiment row of the given name and description straight into `d`. */
const insertRow = (d: D1Database, id: string, name: string, description: string) =>
  d
    .prepare("INSERT INTO experiments (tenant, id, name, description, variants) VALUES ('strict-d1', ?1, ?2, ?3, '[]')")
    .bind(id, name, description)
    .run()

const rowsOf = async (id: string) =>
  (await db().prepare("SELECT COUNT(*) AS n FROM experiments WHERE tenant = 'strict-d1' AND id = ?1").bind(id).first<{ n: number }>())?.n

describe('strict D1 doubles', () => {
  it('the worker\'s binding refuses a bound value over D1_MAX_VALUE_BYTES with D1\'s SQLITE_TOOBIG, and takes one at the limit', () => {
    const stmt = strictDb().prepare("INSERT INTO experiments (tenant, id, name, variants) VALUES ('strict-d1', 'v', ?1, '[]')")
    expect(() => stmt.bind('x'.repeat(D1_MAX_VALUE_BYTES + 1))).toThrow(/SQLITE_TOOBIG/)
    // Counted in UTF-8 bytes, not characters: 333,334 three-byte characters are 1,000,002 bytes.
    expect(() => stmt.bind('字'.repeat(333_334))).toThrow(/SQLITE_TOOBIG/)
    expect(() => stmt.bind('x'.repeat(D1_MAX_VALUE_BYTES))).not.toThrow()
  })

  it('the test database refuses a row over D1_MAX_ROW_BYTES whose every value is under the limit', async () => {
    const half = 'y'.repeat(D1_MAX_ROW_BYTES / 2)
    await expect(insertRow(strictDb(), 'row-over', half, half)).rejects.toThrow(/string or blob too big: SQLITE_TOOBIG/)
    expect(await rowsOf('row-over')).toBe(0)
    // The same columns with room for the row's others fit.
    const under = 'y'.repeat(D1_MAX_ROW_BYTES / 2 - 100)
    await insertRow(strictDb(), 'row-under', under, under)
    expect(await rowsOf('row-under')).toBe(1)
    // An update that grows the row past the limit is refused too, and leaves it as it was.
    await expect(strictDb().prepare("UPDATE experiments SET name = name || ?1 WHERE tenant = 'strict-d1' AND id = 'row-under'").bind('z'.repeat(200)).run()).rejects.toThrow(
      /SQLITE_TOOBIG/
    )
    const kept = await db().prepare("SELECT length(name) AS n FROM experiments WHERE tenant = 'strict-d1' AND id = 'row-under'").first<{ n: number }>()
    expect(kept?.n).toBe(under.length)
  })

  it('the test database refuses a value computed in SQL past the limit (no bound value for the binding to see)', async () => {
    // hex() of 500,001 random bytes is 1,000,002 characters, made inside SQLite.
    const computed = db().prepare("INSERT INTO experiments (tenant, id, name, variants) VALUES ('strict-d1', 'computed', hex(randomblob(500001)), '[]')")
    await expect(computed.run()).rejects.toThrow(/SQLITE_TOOBIG/)
    expect(await rowsOf('computed')).toBe(0)
  })

  it('the worker\'s binding rejects a result over D1_MAX_RESULT_BYTES (alone or in a batch), and returns one just under it', async () => {
    // `rows` rows of 900,000 hex characters each, made inside SQLite: 56 are 50.4 MB, 55 are 49.5 MB.
    const rows = (n: number) =>
      strictDb().prepare('WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?1) SELECT hex(zeroblob(450000)) AS h FROM n').bind(n)
    expect(56 * 900_000).toBeGreaterThan(D1_MAX_RESULT_BYTES)
    await expect(rows(56).all()).rejects.toThrow(D1_RESULT_TOO_LARGE)
    await expect(strictDb().batch([rows(1), rows(56)])).rejects.toThrow(D1_RESULT_TOO_LARGE)
    const under = await rows(55).raw()
    expect(under).toHaveLength(55)
  })
})
