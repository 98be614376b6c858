/**
 * @module ui/html
 * Assembles the worker's self-contained HTML pages (one inline stylesheet, one inline script, no
 * external resources) and the Content-Security-Policy that pins them: the inline script and style
 * are allowed by their SHA-256 hashes (CSP Level 3 §8.4 "hash-source"), everything else only from
 * this origin, so the pages cannot load anything from the network even by mistake.
 */

export interface PageParts {
  title: string
  description: string
  css: string
  /** Trusted HTML (built from constants and `escapeHtml`). */
  body: string
  script: string
  /** JSON data blocks: `<script type="application/json" id=…>`, not executed. */
  data?: Record<string, unknown>
}

export interface BuiltPage {
  html: string
  csp: string
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/gu, (c) => ESCAPES[c] as string)
}

/** JSON safe inside a <script> element: no `</script>`, no `<!--` (HTML §4.12.1.3). */
function jsonForScript(value: unknown): string {
  return JSON.stringify(value).replace(/</gu, '\\u003c').replace(/\u2028/gu, '\\u2028').replace(/\u2029/gu, '\\u2029')
}

async function sha256Base64(text: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text))
  let bin = ''
  for (const b of new Uint8Array(digest)) bin += String.fromCharCode(b)
  return btoa(bin)
}

export async function buildPage(parts: PageParts): Promise<BuiltPage> {
  const data = Object.entries(parts.data ?? {})
    .map(([id, value]) => `<script type="application/json" id="${escapeHtml(id)}">${jsonForScript(value)}</script>`)
    .join('\n')
  const html = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="description" content="${escapeHtml(parts.description)}">
<meta name="color-scheme" content="light dark">
<title>${escapeHtml(parts.title)}</title>
<link rel="icon" href="data:,">
<style>${parts.css}</style>
</head>
<body>
${parts.body}
${data}
<script>${parts.script}</script>
</body>
</html>
`
  const [scriptHash, styleHash] = await Promise.all([sha256Base64(parts.script), sha256Base64(parts.css)])
  const csp = [
    "default-src 'none'",
    `script-src 'sha256-${scriptHash}'`,
    `style-src 'sha256-${styleHash}'`,
    "connect-src 'self'",
    "img-src 'self' data:",
    "form-action 'self'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
  ].join('; ')
  return { html, csp }
}

/** Headers for a page response. `no-cache`: revalidate, so a deploy shows at once. */
export function pageHeaders(page: BuiltPage): Record<string, string> {
  return {
    'Content-Type': 'text/html; charset=utf-8',
    'Content-Security-Policy': page.csp,
    'Cache-Control': 'no-cache',
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
  }
}
