/**
 * D1's size limit applies to a whole row too ("Maximum string, BLOB or table row size",
 * developers.cloudflare.com/d1/platform/limits; SQLite's SQLITE_LIMIT_LENGTH bounds the record it
 * builds for a row as well as each value: sqlite.org/limits.html), and the local D1 takes any size.
 * The strict binding in test/integration/helpers.ts checks each bound value; a row can still pass the
 * limit with every value under it (two columns of 600 KB), or be built from no bound value at all
 * (`json_each` expanding one parameter into rows, a value computed in SQL). So the test database
 * refuses such a row itself: a trigger per table, before every insert and update, sums the bytes of
 * the new row's columns (text as UTF-8, a number as its decimal text: a few bytes more than the
 * record's varint, so never kinder than D1) and aborts past the limit with D1's message.
 */

/** As `D1_MAX_VALUE_BYTES` in test/integration/helpers.ts: the smaller of the limits D1 has stated. */
export const D1_MAX_ROW_BYTES = 1_000_000

/** Tables D1 or the test pool keep for themselves; every other table gets the triggers. */
const INTERNAL = /^(?:sqlite_|_cf_|d1_migrations$)/u

const quoteId = (name: string) => `"${name.replaceAll('"', '""')}"`

/** Installs (idempotently) the row-size triggers on every table of `db`. */
export async function enforceD1RowLimit(db: D1Database): Promise<void> {
  const { results: tables } = await db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all<{ name: string }>()
  const statements: D1PreparedStatement[] = []
  for (const { name } of tables) {
    if (INTERNAL.test(name)) continue
    const { results: columns } = await db.prepare(`PRAGMA table_info(${quoteId(name)})`).all<{ name: string }>()
    if (columns.length === 0) continue
    const size = columns.map((c) => `COALESCE(length(CAST(NEW.${quoteId(c.name)} AS BLOB)), 0)`).join(' + ')
    for (const event of ['INSERT', 'UPDATE']) {
      const trigger = quoteId(`strict_d1_row_size_${event.toLowerCase()}_${name}`)
      statements.push(
        db.prepare(
          `CREATE TRIGGER IF NOT EXISTS ${trigger} BEFORE ${event} ON ${quoteId(name)}
           WHEN ${size} > ${D1_MAX_ROW_BYTES}
           BEGIN SELECT RAISE(ABORT, 'string or blob too big: SQLITE_TOOBIG (a row over ${D1_MAX_ROW_BYTES} bytes)'); END`
        )
      )
    }
  }
  if (statements.length > 0) await db.batch(statements)
}
