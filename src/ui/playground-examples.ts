/**
 * @module ui/playground-examples
 * One-click example inputs for the playground, from the product's scenarios:
 * code search, e-commerce with business fields, legal source authority, and a Chinese query.
 * Each fills the query, the candidates and two contrasting instructions (arm A and arm B of the
 * compare mode); `template` names a built-in template that arm A uses when the registry lists it.
 */

export interface PlaygroundExample {
  id: string
  label: string
  query: string
  /** Candidates as the textarea shows them: plain lines, or a JSON array (pretty-printed). */
  candidates: string
  instructionA: string
  instructionB: string
  template?: { id: string; vars: Record<string, unknown> }
  fusion?: { weights?: Record<string, number>; boosts: unknown[] }
}

const json = (v: unknown): string => JSON.stringify(v, null, 2)

export const PLAYGROUND_EXAMPLES: readonly PlaygroundExample[] = [
  {
    id: 'code',
    label: 'Code search',
    query: 'read a file line by line in python',
    candidates: [
      'Use `with open("data.txt") as f:` and then `for line in f: print(line.rstrip())` to read a file line by line in Python.',
      'Python is a popular programming language created by Guido van Rossum in 1991.',
      'Reading a file line by line keeps memory use low compared with reading the whole file at once.',
      'Example: `for line in open(path, encoding="utf-8"):` iterates over the lines of a file lazily.',
      'The readline() method returns one line of a file; readlines() returns a list of every line.',
      'To read a CSV file in Python, the csv module offers csv.reader and csv.DictReader.',
    ].join('\n'),
    instructionA: 'Given a programming question, retrieve passages that answer it; prefer documents with code examples',
    instructionB: 'Given a programming question, retrieve passages that explain the concept in prose; prefer documents without code',
  },
  {
    id: 'ecommerce',
    label: 'E-commerce',
    query: 'linen summer dress',
    // Field names match the ecommerce-buyer template's default boosts (is_new, sales ≥ 1000), so
    // arm A (that template) and arm B (a free instruction, no boosts) rank differently.
    candidates: json([
      { id: 'sku-101', text: 'Women’s linen midi dress, sleeveless, natural beige. 12 customer photos.', fields: { fabric: 'linen', stock: 127, sales: 950, is_new: false } },
      { id: 'sku-102', text: 'Floral summer dress in light cotton blend, knee length.', fields: { fabric: 'cotton', stock: 8, sales: 2300, is_new: false } },
      { id: 'sku-103', text: 'Linen-blend wrap dress for summer, olive green.', fields: { fabric: 'linen', stock: 45, sales: 60, is_new: true } },
      { id: 'sku-104', text: 'Men’s linen shirt, short sleeves, white.', fields: { fabric: 'linen', stock: 300, sales: 1200, is_new: false } },
      { id: 'sku-105', text: 'Polyester evening gown with sequins.', fields: { fabric: 'polyester', stock: 3, sales: 15, is_new: true } },
    ]),
    instructionA: 'You are helping an online shopper: match the style and fabric first, then prefer items with customer photos and high sales',
    instructionB: 'You are helping an online shopper: match the style and fabric of the query',
    template: { id: 'ecommerce-buyer', vars: { category: 'fashion' } },
  },
  {
    id: 'legal',
    label: 'Legal authority',
    query: 'is a non-compete clause enforceable after termination of employment',
    candidates: json([
      { id: 'blog-1', source: 'Law blog', published_at: '2024-05-02', text: 'My take: non-compete clauses are almost never enforced after you quit, so just ignore them.' },
      { id: 'court-1', source: 'Supreme Court', published_at: '2021-11-18', text: 'A post-employment non-compete covenant is enforceable only if it protects a legitimate interest, is limited in time and territory, and the employee receives compensation for the restriction.' },
      { id: 'ministry-1', source: 'Ministry of Labour', published_at: '2023-02-09', text: 'Guidance: employers must pay monthly compensation during the non-compete period after the employment contract ends; otherwise the employee may terminate the restriction.' },
      { id: 'news-1', source: 'Newspaper', published_at: '2024-01-15', text: 'Tech companies face scrutiny over non-compete agreements as workers change jobs more often.' },
    ]),
    instructionA: 'Given the legal question, retrieve passages that answer it and rank them by source authority: court > ministry > blog',
    instructionB: 'Given the legal question, retrieve passages that answer it',
    template: { id: 'legal-authority', vars: { order: ['supreme court decisions', 'official guidance', 'news', 'blogs and forums'] } },
    fusion: { boosts: [{ name: 'authority', source_order: ['Supreme Court', 'Ministry of Labour', 'Newspaper', 'Law blog'], add: 0.1 }] },
  },
  {
    id: 'chinese',
    label: '中文查询',
    query: '如何提高睡眠质量',
    candidates: [
      '每天固定时间上床和起床，睡前一小时不看手机，可以明显改善睡眠质量。',
      '睡眠分为快速眼动睡眠和非快速眼动睡眠两个阶段。',
      '卧室保持安静、黑暗和凉爽（约18至20摄氏度）有助于入睡。',
      '咖啡因的半衰期约为5小时，下午喝咖啡可能影响晚上的睡眠。',
      '北京今天天气晴，最高气温25摄氏度。',
    ].join('\n'),
    instructionA: '给定一个健康问题，检索能回答该问题的段落，优先选择具体、可操作的建议',
    instructionB: 'Given a health question, retrieve passages that explain the underlying science',
  },
]
