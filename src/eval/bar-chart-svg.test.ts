import { describe, expect, it } from 'vitest'
import { barChartSvg, escapeXml } from './bar-chart-svg'

describe('barChartSvg', () => {
  it('draws one bar per variant and metric, labelled, escaped and self-contained', () => {
    const svg = barChartSvg({
      title: 'A & B <test>',
      categories: ['nDCG@10', 'MRR'],
      series: [
        { name: 'plain', values: [0.5, 0.75] },
        { name: 'legal "strict"', values: [0.25, 1] },
      ],
    })
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true)
    expect(svg.trimEnd().endsWith('</svg>')).toBe(true)
    expect(svg).toContain('A &#38; B &#60;test&#62;')
    expect(svg).toContain('legal &#34;strict&#34; — MRR: 1.0000')
    expect(svg).toContain('plain — nDCG@10: 0.5000')
    expect(svg.match(/<rect [^>]*><title>/g)).toHaveLength(4)
    expect(svg).not.toMatch(/<script|href=|@import/)
  })

  it('bar heights follow the values', () => {
    const heightOf = (v: number) => {
      const svg = barChartSvg({ title: 't', categories: ['m'], series: [{ name: 's', values: [v] }] })
      return Number(/<rect [^>]*height="([\d.]+)"[^>]*><title>/.exec(svg)?.[1])
    }
    expect(heightOf(1)).toBeCloseTo(2 * heightOf(0.5), 1)
    expect(heightOf(0)).toBe(0)
    expect(heightOf(2)).toBe(heightOf(1)) // clamped to the axis
  })

  it('escapes the five XML specials', () => {
    expect(escapeXml(`<a href='x'>&"`)).toBe('&#60;a href=&#39;x&#39;&#62;&#38;&#34;')
  })
})
