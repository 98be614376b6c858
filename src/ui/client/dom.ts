/**
 * @module ui/client/dom
 * The few DOM helpers the pages' browser code shares (src/ui/client/playground.ts, docs.ts).
 * `h()` builds elements; text reaches the page only through `textContent` or text nodes, never as
 * HTML, so nothing from a response or from the user can become markup.
 */

/** A child of `h()`: nodes and strings are appended; null, undefined and false are skipped. */
export type Child = Node | string | null | undefined | false
/** A prop of `h()`; see `h` for how each key is applied. */
export type PropValue = string | number | boolean | null | undefined | ((event: Event) => void)
export type Props = Record<string, PropValue>

function append(node: Element, child: Node | string): void {
  node.appendChild(typeof child === 'string' ? document.createTextNode(child) : child)
}

/**
 * Creates `<tag>` with `props` and `children`. Props: `text` sets textContent, `className` the
 * class, `hidden` hides it, `on<event>` adds a listener; any other key becomes an attribute (`true`
 * gives an empty attribute). A null, undefined or false prop is left out. In an array of children,
 * every falsy entry (including '') is skipped.
 */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props?: Props | null,
  ...children: Array<Child | readonly Child[]>
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag)
  if (props) {
    for (const [k, v] of Object.entries(props)) {
      if (v === undefined || v === null || v === false) continue
      if (typeof v === 'function') {
        if (k.startsWith('on')) node.addEventListener(k.slice(2), v)
        continue
      }
      if (k === 'text') node.textContent = String(v)
      else if (k === 'className') node.className = String(v)
      else if (k === 'hidden') node.hidden = true
      else node.setAttribute(k, v === true ? '' : String(v))
    }
  }
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue
    if (Array.isArray(c)) {
      for (const x of c as readonly Child[]) if (x) append(node, x)
    } else {
      append(node, c as Node | string)
    }
  }
  return node
}

/** The element with this id, or null. */
export function maybeById(id: string): HTMLElement | null {
  return document.getElementById(id)
}

/** The element with this id (the page's markup is a contract: a missing element is a bug). */
export function byId(id: string): HTMLElement
/** The element with this id, checked to be a `type` (e.g. HTMLInputElement). */
export function byId<T extends HTMLElement>(id: string, type: { new (): T; prototype: T }): T
export function byId(id: string, type?: { new (): HTMLElement; prototype: HTMLElement }): HTMLElement {
  const el = document.getElementById(id)
  if (!el) throw new Error(`page markup: #${id} is missing`)
  if (type && !(el instanceof type)) throw new Error(`page markup: #${id} is not a ${type.name}`)
  return el
}

/** A text box, text area or select: anything with a string `value`. */
export type ValueControl = HTMLInputElement | HTMLTextAreaElement | HTMLSelectElement

export function valueControl(id: string): ValueControl {
  const el = byId(id)
  if (el instanceof HTMLInputElement || el instanceof HTMLTextAreaElement || el instanceof HTMLSelectElement) return el
  throw new Error(`page markup: #${id} has no value`)
}

/** The current value of a form control. */
export function valueOf(id: string): string {
  return valueControl(id).value
}

export function checkbox(id: string): HTMLInputElement {
  return byId(id, HTMLInputElement)
}

/** A JSON data block (`<script type="application/json" id=…>`, src/ui/html.ts), parsed. */
export function readJsonBlock(id: string): unknown {
  return JSON.parse(byId(id).textContent ?? 'null')
}

/** `n` with `digits` decimals, or 'n/a' when it is not a finite number. */
export function fmt(n: unknown, digits: number): string {
  return typeof n === 'number' && Number.isFinite(n) ? n.toFixed(digits) : 'n/a'
}

/** The message of something thrown: its `message` when it has a non-empty one, else its text. */
export function messageOf(e: unknown): string {
  const message = e instanceof Error ? e.message : ''
  return message || String(e)
}
