/**
 * @module ui/base-styles
 * The stylesheet shared by the playground and the API reference: system fonts (nothing to
 * download), light and dark schemes, a focus ring that is always visible for keyboard users
 * (WCAG 2.2 SC 2.4.7 / 2.4.11), contrast of at least 4.5:1 for text, and layouts that reflow to
 * a single column at phone width (375 px; WCAG SC 1.4.10 Reflow).
 */
export const BASE_CSS = `
:root{--bg:#f7f7f9;--panel:#fff;--text:#1b1d23;--muted:#555b66;--line:#d5d8de;--accent:#2451c7;--accent-text:#fff;
--focus:#f0a100;--bad:#b3261e;--bad-bg:#fdecea;--good:#1e7b34;--warn:#8a5300;--warn-bg:#fff4dc;--bar:#2451c7;--bar-b:#7a3fc2;
--mono:ui-monospace,SFMono-Regular,Menlo,Consolas,"Liberation Mono",monospace;
--sans:system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans","Noto Sans CJK SC","PingFang SC","Microsoft YaHei",sans-serif;}
@media (prefers-color-scheme:dark){:root{--bg:#14161b;--panel:#1d2027;--text:#e8eaf0;--muted:#a9afbb;--line:#363b46;
--accent:#8fb0ff;--accent-text:#0d1430;--bad:#ffb4ab;--bad-bg:#3b1512;--good:#8fd9a0;--warn:#ffd27a;--warn-bg:#3a2c0c;--bar:#8fb0ff;--bar-b:#caa2ff}}
*{box-sizing:border-box}
html{-webkit-text-size-adjust:100%}
body{margin:0;background:var(--bg);color:var(--text);font:15px/1.5 var(--sans)}
a{color:var(--accent)}
code,pre,textarea.mono{font-family:var(--mono);font-size:13px}
:focus-visible{outline:3px solid var(--focus);outline-offset:2px}
.skip{position:absolute;left:-999px;top:0;background:var(--panel);padding:.5rem 1rem;z-index:10}
.skip:focus{left:.5rem}
.sr-only{position:absolute;width:1px;height:1px;padding:0;margin:-1px;overflow:hidden;clip:rect(0,0,0,0);white-space:nowrap;border:0}
header.top{display:flex;flex-wrap:wrap;align-items:center;gap:.5rem 1.5rem;padding:.75rem 1.25rem;background:var(--panel);border-bottom:1px solid var(--line)}
header.top h1{font-size:1.15rem;margin:0}
header.top h1 span{color:var(--muted);font-weight:400}
header.top nav{display:flex;flex-wrap:wrap;align-items:center;gap:.5rem 1rem;margin-left:auto}
main{max-width:1200px;margin:0 auto;padding:1rem 1.25rem 3rem}
.panel{background:var(--panel);border:1px solid var(--line);border-radius:10px;padding:1rem 1.1rem;margin:0 0 1rem}
h2{font-size:1.05rem;margin:0 0 .6rem}
h3{font-size:.95rem;margin:.8rem 0 .4rem}
label{font-weight:600}
.hint{color:var(--muted);font-weight:400;font-size:.85rem}
input,select,textarea,button{font:inherit;color:inherit}
input[type=text],input[type=number],input[type=password],input[type=search],select,textarea{width:100%;padding:.45rem .55rem;border:1px solid var(--line);border-radius:6px;background:var(--bg)}
textarea{resize:vertical}
input[type=checkbox]{width:1.1rem;height:1.1rem;vertical-align:-3px;margin:0 .4rem 0 0}
button{cursor:pointer;border:1px solid var(--line);background:var(--panel);border-radius:6px;padding:.45rem .85rem;min-height:2.25rem}
button.primary{background:var(--accent);color:var(--accent-text);border-color:var(--accent);font-weight:600}
button:disabled{opacity:.6;cursor:progress}
.field{margin:0 0 .85rem}
.field > label{display:block;margin-bottom:.25rem}
.row{display:flex;flex-wrap:wrap;gap:.75rem}
.row > .field{flex:1 1 10rem}
fieldset{border:1px solid var(--line);border-radius:8px;padding:.6rem .9rem .2rem;margin:0 0 .9rem;min-width:0}
legend{font-weight:700;padding:0 .3rem}
details{border:1px solid var(--line);border-radius:8px;padding:.4rem .9rem;margin:0 0 .9rem}
details > summary{cursor:pointer;font-weight:700;padding:.25rem 0}
details[open] > summary{margin-bottom:.5rem}
.field-error{color:var(--bad);font-size:.9rem;margin:.25rem 0 0;font-weight:600}
[aria-invalid=true]{border-color:var(--bad)!important;box-shadow:0 0 0 1px var(--bad)}
.alert{background:var(--bad-bg);color:var(--bad);border:1px solid var(--bad);border-radius:8px;padding:.6rem .8rem;margin:0 0 1rem}
.badge{display:inline-block;border:1px solid var(--line);border-radius:999px;padding:0 .55rem;font-size:.82rem;max-width:100%;overflow-wrap:anywhere}
.badge.warn{background:var(--warn-bg);color:var(--warn);border-color:var(--warn);font-weight:700}
.muted{color:var(--muted)}
.method{display:inline-block;min-width:4.2rem;text-align:center;border-radius:5px;padding:0 .4rem;font:700 .8rem var(--mono);color:#fff;background:#555b66}
.method.get{background:#1f6f43}.method.post{background:#2451c7}.method.put,.method.patch{background:#8a5300}.method.delete{background:#b3261e}
table{border-collapse:collapse;width:100%}
th,td{text-align:left;vertical-align:top;padding:.3rem .5rem;border-bottom:1px solid var(--line)}
pre{background:var(--bg);border:1px solid var(--line);border-radius:6px;padding:.6rem;overflow:auto;max-height:28rem;white-space:pre-wrap;word-break:break-word}
@media (max-width:640px){main{padding:.75rem .6rem 2rem}.panel{padding:.8rem .7rem}header.top{padding:.6rem .7rem}header.top nav{margin-left:0}}
`
