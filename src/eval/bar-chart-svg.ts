/**
 * @module bar-chart-svg
 * A self-contained SVG grouped bar chart (one group per metric, one bar per variant), for the
 * evaluation report. Pure string building: no fonts, scripts or external references, so the file
 * opens anywhere. Colours are the Okabe–Ito palette (M. Okabe and K. Ito, "Color Universal Design",
 * 2008), distinguishable with the common colour-vision deficiencies.
 */

export interface BarSeries {
  readonly name: string
  /** One value per category, in [0, max]. */
  readonly values: readonly number[]
}

export interface BarChartSpec {
  readonly title: string
  /** A second, smaller heading line (data set, query count, …). */
  readonly subtitle?: string
  readonly categories: readonly string[]
  readonly series: readonly BarSeries[]
  /** Top of the value axis (default 1, right for ranking metrics). */
  readonly max?: number
  /** Lines of text under the plot (e.g. the paired comparisons of the variants). */
  readonly notes?: readonly string[]
}

const PALETTE = ['#0072B2', '#E69F00', '#009E73', '#CC79A7', '#56B4E9', '#D55E00', '#F0E442', '#000000']

export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)
}

/** Numbers in coordinates: short and locale-free. */
function n(x: number): string {
  return String(Math.round(x * 100) / 100)
}

export function barChartSvg(spec: BarChartSpec): string {
  const max = spec.max ?? 1
  const seriesCount = Math.max(spec.series.length, 1)
  const barWidth = Math.max(8, Math.min(36, 160 / seriesCount))
  const groupGap = 28
  const groupWidth = seriesCount * barWidth + groupGap
  const left = 56
  const headerHeight = spec.subtitle === undefined ? 40 : 58
  const top = headerHeight + 16 + 18 * Math.ceil(spec.series.length / 4)
  const plotHeight = 260
  const notes = spec.notes ?? []
  const bottom = 48 + 16 * notes.length
  // Text is not measured (no fonts in a pure function): about 0.6 em per character is generous.
  const textWidth = Math.max(spec.title.length * 10, (spec.subtitle?.length ?? 0) * 7.5, ...notes.map((l) => l.length * 6))
  const width = Math.ceil(Math.max(480, left + spec.categories.length * groupWidth + 24, 16 + textWidth))
  const height = top + plotHeight + bottom
  const y = (v: number) => top + plotHeight - (Math.max(0, Math.min(v, max)) / max) * plotHeight

  const out: string[] = []
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="system-ui, sans-serif" font-size="12">`,
  )
  out.push(`<title>${escapeXml(spec.subtitle === undefined ? spec.title : `${spec.title} — ${spec.subtitle}`)}</title>`)
  out.push(`<rect width="${width}" height="${height}" fill="#ffffff"/>`)
  out.push(`<text x="16" y="24" font-size="16" font-weight="bold">${escapeXml(spec.title)}</text>`)
  if (spec.subtitle !== undefined) out.push(`<text x="16" y="44" fill="#444444">${escapeXml(spec.subtitle)}</text>`)

  // Legend, four entries per row.
  spec.series.forEach((s, i) => {
    const lx = left + (i % 4) * 170
    const ly = headerHeight + Math.floor(i / 4) * 18
    out.push(`<rect x="${lx}" y="${ly}" width="12" height="12" fill="${PALETTE[i % PALETTE.length]}"/>`)
    out.push(`<text x="${lx + 18}" y="${ly + 10}">${escapeXml(s.name)}</text>`)
  })

  // Value axis with grid lines every fifth of the range.
  for (let k = 0; k <= 5; k++) {
    const v = (max * k) / 5
    const gy = y(v)
    out.push(`<line x1="${left}" x2="${width - 16}" y1="${n(gy)}" y2="${n(gy)}" stroke="#dddddd"/>`)
    out.push(`<text x="${left - 8}" y="${n(gy + 4)}" text-anchor="end">${escapeXml(v.toFixed(1))}</text>`)
  }
  out.push(`<line x1="${left}" x2="${left}" y1="${top}" y2="${top + plotHeight}" stroke="#333333"/>`)

  spec.categories.forEach((cat, c) => {
    const gx = left + groupGap / 2 + c * groupWidth
    spec.series.forEach((s, i) => {
      const v = s.values[c] ?? 0
      const x = gx + i * barWidth
      const by = y(v)
      const label = `${s.name} — ${cat}: ${v.toFixed(4)}`
      out.push(
        `<rect x="${n(x)}" y="${n(by)}" width="${n(barWidth - 2)}" height="${n(top + plotHeight - by)}" fill="${PALETTE[i % PALETTE.length]}"><title>${escapeXml(label)}</title></rect>`,
      )
      if (barWidth >= 20) {
        out.push(`<text x="${n(x + (barWidth - 2) / 2)}" y="${n(by - 4)}" text-anchor="middle" font-size="10">${escapeXml(v.toFixed(3))}</text>`)
      }
    })
    const cx = gx + (seriesCount * barWidth) / 2
    out.push(`<text x="${n(cx)}" y="${top + plotHeight + 20}" text-anchor="middle">${escapeXml(cat)}</text>`)
  })
  notes.forEach((line, i) => {
    out.push(`<text x="16" y="${top + plotHeight + 48 + 16 * i}" font-size="11" fill="#333333">${escapeXml(line)}</text>`)
  })
  out.push('</svg>')
  return `${out.join('\n')}\n`
}
