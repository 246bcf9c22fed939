/**
 * Replaying the agent's control events on the visitor's page, in shared mode only
 * (the server refuses them in view mode; the tag refuses them too, whatever arrives).
 * Clicks are dispatched on the element; values are set through the native setter plus
 * input/change events so framework-controlled inputs (React) take them; navigation only
 * to the site's own origins; never into a masked field, never on a --no-control element.
 * @module replay
 */
import * as dom from "./dom.js";

/**
 * @typedef {Object} ReplayContext
 * @property {(id: number) => Node|null} nodeOf
 * @property {(el: Element) => boolean} isMasked
 * @property {(el: Element) => boolean} [isBlocked]  the site's --no-control rules (issue 14)
 * @property {string[]} origins  the site's origins (hello config.origins)
 * @property {(url: string) => void} [navigate]  defaults to location.assign
 */

/**
 * The prototype setter for `prop`, bypassing instance overrides (React tracks values by
 * defining `value` on the element itself).
 * @param {Element} el
 * @param {string} prop
 * @param {any} value
 */
function setNative(el, prop, value) {
  /** @type {any} */
  let proto = Object.getPrototypeOf(el);
  while (proto) {
    const desc = Object.getOwnPropertyDescriptor(proto, prop);
    if (desc && desc.set) {
      desc.set.call(el, value);
      return;
    }
    proto = Object.getPrototypeOf(proto);
  }
  /** @type {any} */ (el)[prop] = value;
}

/** @param {Element} el @param {string} type */
function fire(el, type) {
  dom.dispatch(el, new Event(type, { bubbles: true, composed: type === "input" }));
}

/** @param {Element} el @param {string} type @param {any} Ctor */
function mouse(el, type, Ctor) {
  const r = dom.rect(el);
  const init = { bubbles: true, cancelable: true, composed: true, view: window, clientX: r.left + r.width / 2, clientY: r.top + r.height / 2, button: 0 };
  dom.dispatch(el, new Ctor(type, init));
}

/**
 * Is `url` an http(s) URL on one of the site's origins?
 * @param {string} url
 * @param {string[]} origins
 */
export function navigable(url, origins) {
  try {
    const u = new URL(url, location.href);
    if (u.protocol !== "http:" && u.protocol !== "https:") return false;
    return origins.some((o) => {
      try {
        return new URL(o).origin === u.origin;
      } catch (e) {
        return false;
      }
    });
  } catch (e) {
    return false;
  }
}

/**
 * Apply one control event. Returns a short reason when it is refused, "" when done.
 * @param {any} ev
 * @param {string} mode the session's mode
 * @param {ReplayContext} ctx
 * @returns {string}
 */
export function replayControl(ev, mode, ctx) {
  if (mode !== "shared") return "view only";
  if (ev.k === "control.navigate") {
    if (typeof ev.url !== "string" || !navigable(ev.url, ctx.origins)) return "not an allowed URL";
    (ctx.navigate || ((u) => location.assign(u)))(new URL(ev.url, location.href).href);
    return "";
  }
  const node = ctx.nodeOf(ev.i);
  if (!node || dom.nodeType(node) !== 1) return "no such element";
  const el = /** @type {HTMLElement} */ (node);
  if (ctx.isBlocked && ctx.isBlocked(el)) return "the site does not let agents operate this element";
  if (ctx.isMasked(el)) return "masked";
  if (ev.k === "control.click") {
    if (clickLeavesSite(el, ctx.origins)) return "the click would leave the site";
    const control = labelledControl(el);
    if (control && ctx.isMasked(control)) return "masked";
    return click(el);
  }
  if (ev.k === "control.input") return input(el, ev);
  return "unknown control";
}

const SVG_NS = "http://www.w3.org/2000/svg";
const LABELABLE = "button,input,meter,output,progress,select,textarea";

/**
 * A URL attribute of `el` (relative to its base URL): does following it leave the site?
 * @param {Element} el @param {string} value @param {string[]} origins
 */
function offSite(el, value, origins) {
  let url;
  try {
    url = new URL(value, dom.baseURI(el)).href;
  } catch (e) {
    return true;
  }
  return !navigable(url, origins);
}

/** @param {Element} el */
function isSubmit(el) {
  if (!dom.isHTML(el)) return false;
  const name = dom.localName(el);
  const type = (dom.getAttr(el, "type") || "").trim().toLowerCase();
  if (name === "button") return type !== "reset" && type !== "button";
  return name === "input" && (type === "submit" || type === "image");
}

/**
 * The element with `id` in the tree of `el` (document or shadow root); page scripts cannot
 * clobber the lookup (`getElementById` could be overridden on the document).
 * @param {Element} el @param {string} id
 */
function byId(el, id) {
  const root = dom.rootNode(el);
  const found = dom.queryAll(root, `[id="${id.replace(/["\\]/g, "\\$&")}"]`);
  return found.length ? found[0] : null;
}

/** Where a submit control's activation would go, or null when it submits nothing. @param {Element} el */
function submitTarget(el) {
  const own = dom.getAttr(el, "formaction");
  if (own !== null) return { el, url: own };
  const ref = dom.getAttr(el, "form");
  const form = ref !== null ? byId(el, ref) : dom.closest(el, "form");
  if (!form || dom.localName(form) !== "form") return null;
  return { el: form, url: dom.getAttr(form, "action") || "" };
}

/**
 * Would a click on `el` navigate off the site's origins (issue 10, item 4)? Walks `el` and
 * its ancestors (across shadow roots): a link, a submit control (its `formaction` or its
 * form's `action`), a label (its control). The server makes the same decision from the
 * page index; each wall holds alone.
 * @param {Element} el @param {string[]} origins @param {number} [depth]
 * @returns {boolean}
 */
export function clickLeavesSite(el, origins, depth = 0) {
  /** @type {Element|null} */
  let n = el;
  for (let guard = 0; n && guard < 4096; guard++) {
    const name = dom.localName(n);
    const html = dom.isHTML(n);
    const svgLink = dom.namespaceURI(n) === SVG_NS && name === "a";
    if ((html && (name === "a" || name === "area")) || svgLink) {
      let href = dom.getAttr(n, "href");
      if (href === null && svgLink) href = dom.getAttr(n, "xlink:href");
      if (href !== null && offSite(n, href, origins)) return true;
    } else if (isSubmit(n)) {
      const target = submitTarget(n);
      if (target && offSite(target.el, target.url, origins)) return true;
    } else if (html && name === "label" && depth === 0) {
      const ref = dom.getAttr(n, "for");
      const control = ref !== null ? byId(n, ref) : dom.queryAll(n, LABELABLE)[0] || null;
      if (control && clickLeavesSite(control, origins, 1)) return true;
    }
    n = dom.parentElement(n) || dom.hostOf(dom.rootNode(n));
  }
  return false;
}

/**
 * The control a click on `el` would be passed on to by a label around it, if any: a click
 * on the label of a masked checkbox must not toggle it.
 * @param {Element} el
 * @returns {Element|null}
 */
function labelledControl(el) {
  const label = dom.closest(el, "label");
  if (!label) return null;
  const ref = dom.getAttr(label, "for");
  return ref !== null ? byId(label, ref) : dom.queryAll(label, LABELABLE)[0] || null;
}

/** @param {HTMLElement} el */
function click(el) {
  const PE = typeof PointerEvent === "function" ? PointerEvent : MouseEvent;
  mouse(el, "pointerdown", PE);
  mouse(el, "mousedown", MouseEvent);
  const html = dom.isHTML(el);
  if (html) dom.focus(el, { preventScroll: true });
  mouse(el, "pointerup", PE);
  mouse(el, "mouseup", MouseEvent);
  if (html) dom.click(el); // a real activation: follows links, submits, toggles
  else mouse(el, "click", MouseEvent);
  return "";
}

/** @param {HTMLElement} el @param {any} ev */
function input(el, ev) {
  const name = dom.localName(el);
  if (name === "select" && Array.isArray(ev.selected)) {
    const sel = /** @type {HTMLSelectElement} */ (el);
    const want = new Set(ev.selected);
    for (let i = 0; i < sel.options.length; i++) setNative(sel.options[i], "selected", want.has(i));
    fire(el, "input");
    fire(el, "change");
    return "";
  }
  if (name === "input" && typeof ev.checked === "boolean") {
    const box = /** @type {HTMLInputElement} */ (el);
    if (box.type !== "checkbox" && box.type !== "radio") return "not a checkbox";
    if (box.checked !== ev.checked) box.click(); // the events frameworks listen to, in order
    return "";
  }
  if ((name === "input" || name === "textarea") && typeof ev.value === "string") {
    if (/** @type {HTMLInputElement} */ (el).type === "file") return "file fields are the visitor's";
    dom.focus(el, { preventScroll: true });
    setNative(el, "value", ev.value);
    fire(el, "input");
    fire(el, "change");
    return "";
  }
  if (dom.isContentEditable(el) && typeof ev.value === "string") {
    dom.setText(el, ev.value);
    fire(el, "input");
    return "";
  }
  return "not a form field";
}
