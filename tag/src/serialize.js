/**
 * The snapshot serializer: DOM -> compact JSON tree with stable ids (docs/protocol.md
 * "Snapshot format"). Built for speed on large pages: one plain recursive function, no
 * closures or computed styles per node, masking decided by a few querySelectorAll calls
 * per root instead of a matches() per element.
 * @module serialize
 */
import { adoptedTexts, cssomAhead, sheetText } from "./cssom.js";
import * as dom from "./dom.js";
import { HARD, SOFT, STRUCTURAL } from "./mask.js";

const SVG_NS = "http://www.w3.org/2000/svg";
const MATH_NS = "http://www.w3.org/1998/Math/MathML";
/** Canvas images larger than this (characters of data URL) are left out. */
const CANVAS_MAX_CHARS = 1_500_000;
/** Canvases with more pixels than this are not encoded at all (too slow). */
const CANVAS_MAX_PIXELS = 4_000_000;
const HTML_NS = "http://www.w3.org/1999/xhtml";
/** Values already absolute (or fragments) need no URL resolution. */
const ABSOLUTE = /^(?:[a-z][a-z0-9+.-]*:|#)/i;
/**
 * Relative URLs that resolve by plain concatenation: only characters the URL parser keeps
 * as they are in a path, query or fragment of an http(s) URL (no quote, backslash,
 * space or non-ASCII), and no dot segment ("." , "..", or their %2e spellings).
 */
const SIMPLE_RELATIVE = /^[\w\-.~%!$&()*+,;=:@/]*(?:[?#][\w\-.~%!$&()*+,;=:@/?#]*)?$/;
const DOT_SEGMENT = /(?:^|\/)\.\.?(?:[/?#]|$)|%2e/i;
/** HTML elements that never scroll (or are never rendered): their scroll offsets are not read. */
const NEVER_SCROLLS = new Set([
  "a", "area", "base", "br", "col", "head", "img", "input", "link", "meta", "noscript", "optgroup",
  "option", "param", "script", "source", "style", "template", "title", "track", "wbr",
]);

/**
 * @typedef {Object} SerializeContext
 * @property {import("./ids.js").NodeIds} ids
 * @property {import("./mask.js").Masker} masker
 * @property {Node|null} exclude  the tag's own UI host: never captured
 * @property {(root: Document|ShadowRoot, frame: Element|null) => void} onRoot  a shadow root or frame document was captured
 * @property {WeakSet<CSSStyleSheet>} dirtySheets  sheets changed through the CSSOM since load
 * @property {WeakSet<Element>} maskedNodes  elements captured as masked (filled by the serializer)
 * @property {WeakSet<Element>} softNodes  of those, the ones soft masked (a private site's default)
 * @property {WeakMap<Element, string>} formSeen  form state last sent per field (formKey)
 * @property {boolean} [implicit]  omit "i" when it is the previous node's id + 1 (hello config.implicit_ids)
 * @property {number} [last]  the id written last (for implicit ids)
 */

/**
 * A canvas as a size-capped raster data URL, or "" (tainted, empty, too large).
 * @param {HTMLCanvasElement} c
 */
export function canvasImage(c) {
  try {
    if (!c.width || !c.height || c.width * c.height > CANVAS_MAX_PIXELS) return "";
    const url = c.toDataURL("image/webp", 0.7);
    return url.length <= CANVAS_MAX_CHARS && url.startsWith("data:image/") ? url : "";
  } catch (e) {
    return "";
  }
}

/**
 * Form state (`p`) of a form control, masked when needed; null when there is none.
 * @param {Element} el
 * @param {boolean} masked
 * @param {import("./mask.js").Masker} masker
 * @returns {{value?: string, checked?: boolean, selected?: number[]}|null}
 */
export function formState(el, masked, masker) {
  // An <input>, <textarea> or <select> in SVG or MathML has the name but no form state
  // (a page may hold <svg><select>): reading it would throw and stop the capture.
  if (!dom.isHTML(el)) return null;
  const name = dom.localName(el);
  if (name === "input") {
    const input = /** @type {HTMLInputElement} */ (el);
    const type = input.type;
    if (type === "checkbox" || type === "radio") return masked ? null : { checked: input.checked };
    if (type === "file") return null;
    const v = input.value;
    return masked ? { value: masker.value(v) } : v ? { value: v } : null;
  }
  if (name === "textarea") {
    const v = /** @type {HTMLTextAreaElement} */ (el).value;
    return masked ? { value: masker.value(v) } : { value: v };
  }
  if (name === "select") {
    if (masked) return null;
    const opts = /** @type {HTMLSelectElement} */ (el).options;
    const selected = [];
    for (let i = 0; i < opts.length; i++) if (opts[i].selected) selected.push(i);
    return { selected };
  }
  return null;
}

/**
 * A form state as a short string, to tell cheaply whether a field changed since it was sent.
 * @param {{value?: string, checked?: boolean, selected?: number[]}|null} p
 */
export function formKey(p) {
  if (!p) return "";
  if (p.value !== undefined) return "v" + p.value;
  if (p.checked !== undefined) return p.checked ? "c1" : "c0";
  return "s" + (p.selected || []).join(",");
}

/**
 * Attributes of an element as a plain object, masked and with URLs made absolute.
 * @param {Element} el
 * @param {boolean|number} masked  true or HARD: masked; SOFT: a private site's default
 * @param {import("./mask.js").Masker} masker
 */
export function attributesOf(el, masked, masker) {
  /** @type {Record<string, string>} */
  const a = {};
  const attrs = dom.attributes(el);
  for (let i = 0; i < attrs.length; i++) {
    const at = attrs[i];
    const name = at.name;
    if (masked && !(masked === SOFT ? masker.keepSoft(el, name) : masker.keepAttr(name))) continue;
    a[name] = attributeValue(el, name, at.value);
  }
  return a;
}

/**
 * An attribute's value as sent: src/href resolved against the node's own base URL, so
 * frame documents and <base> come out right.
 * @param {Element} el
 * @param {string} name
 * @param {string} v
 */
export function attributeValue(el, name, v) {
  if ((name === "src" || name === "href") && v && !ABSOLUTE.test(v)) {
    try {
      return resolveUrl(v, dom.baseURI(/** @type {Document} */ (dom.ownerDocument(el))));
    } catch (e) {
      return v;
    }
  }
  return v;
}

/** The last base URL seen, its origin and its directory ("" when not http(s)). */
let baseSeen = "";
let baseOrigin = "";
let baseDir = "";

/**
 * `new URL(v, base).href`, with a fast path for the common relative links of a large page
 * (a big index has tens of thousands: the URL parser was a sixth of the snapshot's time).
 * @param {string} v a relative URL
 * @param {string} base the document's base URL (serialized, as baseURI gives it)
 */
export function resolveUrl(v, base) {
  if (base !== baseSeen) {
    baseSeen = base;
    baseOrigin = baseDir = "";
    if (/^https?:\/\/[^/?#]+\//i.test(base)) {
      baseOrigin = base.slice(0, base.indexOf("/", base.indexOf("//") + 2));
      const path = base.slice(0, base.search(/[?#]|$/));
      baseDir = path.slice(0, path.lastIndexOf("/") + 1);
    }
  }
  if (baseDir && SIMPLE_RELATIVE.test(v) && !DOT_SEGMENT.test(v)) {
    const c = v.charCodeAt(0);
    if (c === 47 /* / */) {
      if (v.charCodeAt(1) !== 47) return baseOrigin + v;
    } else if (c !== 63 /* ? */) return baseDir + v;
  }
  return new URL(v, base).href;
}

/**
 * The node's id, and whether it must be written: with implicit ids, not when it follows
 * the previously written id (pre-order: node, `c`, `d`, `sh`). Saves half the gzipped bytes.
 * @param {Node} n
 * @param {SerializeContext} ctx
 * @returns {number} the id, or 0 when it is implicit
 */
function ident(n, ctx) {
  const id = ctx.ids.take(n);
  const skip = ctx.implicit && id === /** @type {number} */ (ctx.last) + 1;
  ctx.last = id;
  return skip ? 0 : id;
}

/**
 * Serialize a root (document or shadow root) with its masked set computed once.
 * @param {Document|ShadowRoot} root
 * @param {number} masked inherited from the host or frame element (0, SOFT, HARD)
 * @param {SerializeContext} ctx
 * @param {Element|null} frame the iframe element for a frame document
 */
function serializeRoot(root, masked, ctx, frame) {
  const maskedSet = { hard: ctx.masker.roots(root), lift: ctx.masker.lifts(root) };
  ctx.onRoot(root, frame);
  const isDoc = dom.nodeType(root) === 9;
  const id = ident(root, ctx);
  /** @type {any} */
  const out = id ? { i: id, t: isDoc ? 9 : 11, c: null } : { t: isDoc ? 9 : 11, c: null };
  out.c = children(root, masked, maskedSet, ctx);
  const ss = adoptedTexts(root);
  if (ss) out.ss = ctx.masker.private ? ss.map(ctx.masker.css) : ss;
  return out;
}

/**
 * @param {Node} parent
 * @param {number} masked
 * @param {MaskSets} maskedSet
 * @param {SerializeContext} ctx
 */
function children(parent, masked, maskedSet, ctx) {
  const out = [];
  for (let c = dom.firstChild(parent); c; c = dom.nextSibling(c)) {
    const n = node(c, masked, maskedSet, ctx);
    if (n) out.push(n);
  }
  return out;
}

/**
 * One node and its subtree, or null for what is never captured (comments, our UI).
 * @param {Node} n
 * @param {number} masked
 * @param {MaskSets} maskedSet
 * @param {SerializeContext} ctx
 * @returns {any}
 */
function node(n, masked, maskedSet, ctx) {
  const type = dom.nodeType(n);
  if (type === 1) return element(/** @type {Element} */ (n), masked, maskedSet, ctx);
  if (type !== 3 && type !== 4 && type !== 10) return null;
  const id = ident(n, ctx);
  if (type === 10) {
    const name = /** @type {DocumentType} */ (n).name;
    return id ? { i: id, t: 10, n: name } : { t: 10, n: name };
  }
  const d = /** @type {Text} */ (n).data;
  const x = masked ? ctx.masker.text(d) : ctx.masker.private ? styleText(n, d, ctx) : d;
  return id ? { i: id, t: 3, x } : { t: 3, x };
}

/**
 * A text of a private site: a style sheet's text has its wordy strings blanked.
 * @param {Node} n
 * @param {string} d
 * @param {SerializeContext} ctx
 */
function styleText(n, d, ctx) {
  const up = dom.parentNode(n);
  return up && dom.nodeType(up) === 1 && dom.localName(/** @type {Element} */ (up)) === "style" ? ctx.masker.css(d) : d;
}

/**
 * @typedef {{hard: Set<Element>, lift: Set<Element>}} MaskSets  a root's masked and unmasked matches
 */

/**
 * @param {Element} el
 * @param {number} masked 0, SOFT or HARD, inherited
 * @param {MaskSets} maskedSet
 * @param {SerializeContext} ctx
 */
function element(el, masked, maskedSet, ctx) {
  if (el === ctx.exclude) return null;
  const name = dom.localName(el);
  let m = masked;
  if (m !== HARD && ((maskedSet.hard.size > 0 && maskedSet.hard.has(el)) || ctx.masker.sticky.has(el))) m = HARD;
  else if (m === SOFT && (STRUCTURAL.has(name) || maskedSet.lift.has(el))) m = 0;
  const id = ident(el, ctx);
  const a = attributesOf(el, m, ctx.masker);
  /** @type {any} */
  const out = id ? { i: id, t: 1, n: name, a, c: null } : { t: 1, n: name, a, c: null };
  const ns = dom.namespaceURI(el);
  const html = ns === HTML_NS;
  if (html) {
    /* the common case: no ns key */
  } else if (ns === SVG_NS) out.ns = "svg";
  else if (ns === MATH_NS) out.ns = "math";
  if (m) {
    out.m = m === HARD ? 1 : 2; // docs/protocol.md: 2 is a private site's soft mask
    ctx.maskedNodes.add(el);
    if (m === SOFT) ctx.softNodes.add(el);
  }
  if (name === "script" || name === "noscript") {
    out.c = [];
    return out;
  }
  out.c = children(el, m, maskedSet, ctx);
  if (html || !ns) special(el, name, out, m, ctx);
  const sh = dom.shadowRoot(el);
  if (sh) out.sh = serializeRoot(sh, m, ctx, null);
  // Reading scroll offsets costs a layout check per element: only where scrolling can be.
  if (html && !NEVER_SCROLLS.has(name) && (dom.scrollTop(el) || dom.scrollLeft(el))) out.sc = [dom.scrollLeft(el), dom.scrollTop(el)];
  return out;
}

/**
 * The per-tag extras: form state, CSSOM text, frame documents, canvas pixels.
 * @param {Element} el
 * @param {string} name
 * @param {any} out
 * @param {number} m
 * @param {SerializeContext} ctx
 */
function special(el, name, out, m, ctx) {
  switch (name) {
    case "input":
    case "textarea":
    case "select": {
      const p = formState(el, m, ctx.masker);
      if (p) out.p = p;
      ctx.formSeen.set(el, formKey(p));
      break;
    }
    case "style": {
      const sheet = /** @type {HTMLStyleElement} */ (el).sheet;
      if (sheet && (ctx.dirtySheets.has(sheet) || cssomAhead(sheet, el.textContent || ""))) out.css = ctx.masker.css(sheetText(sheet));
      break;
    }
    case "link": {
      const sheet = /** @type {HTMLLinkElement} */ (el).sheet;
      if (sheet && ctx.dirtySheets.has(sheet)) out.css = ctx.masker.css(sheetText(sheet));
      break;
    }
    case "iframe":
    case "frame": {
      let doc = null;
      try {
        doc = /** @type {HTMLIFrameElement} */ (el).contentDocument;
      } catch (e) {
        doc = null; // cross-origin: the server shows a placeholder
      }
      if (doc && dom.documentElement(doc)) out.d = serializeRoot(doc, m, ctx, el);
      else ctx.onRoot(/** @type {any} */ (null), el);
      break;
    }
    case "canvas": {
      if (!m) {
        const img = canvasImage(/** @type {HTMLCanvasElement} */ (el));
        if (img) out.img = img;
      }
      break;
    }
  }
}

/**
 * Serialize a whole document (the snapshot's `doc`).
 * @param {Document} doc
 * @param {SerializeContext} ctx
 */
export function serializeDocument(doc, ctx) {
  ctx.last = -1; // the first node always carries its id
  return serializeRoot(doc, ctx.masker.private ? SOFT : 0, ctx, null);
}

/**
 * Serialize a node added after the snapshot (a mutation's `add`), with its masking
 * inherited from its ancestors.
 * @param {Node} n
 * @param {SerializeContext} ctx
 */
export function serializeSubtree(n, ctx) {
  ctx.last = -1;
  const type = dom.nodeType(n);
  const top = ctx.masker.private ? SOFT : 0;
  if (type === 9 || type === 11) return serializeRoot(/** @type {any} */ (n), top, ctx, null);
  const up = dom.parentNode(n);
  const upType = up ? dom.nodeType(up) : 0;
  const parent = upType === 1 ? /** @type {Element} */ (up) : upType === 11 ? dom.hostOf(/** @type {any} */ (up)) : null;
  const masked = parent ? ctx.masker.level(parent) : top;
  /** @type {MaskSets} */
  const maskedSet = { hard: new Set(), lift: new Set() };
  if (type === 1) {
    const el = /** @type {Element} */ (n);
    maskedSet.hard = ctx.masker.roots(/** @type {any} */ (el));
    if (ctx.masker.matchesSelf(el)) maskedSet.hard.add(el);
    maskedSet.lift = ctx.masker.lifts(el);
    if (ctx.masker.liftsSelf(el)) maskedSet.lift.add(el);
  }
  return node(n, masked, maskedSet, ctx);
}
