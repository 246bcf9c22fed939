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
  if (ev.k === "control.click") return click(el);
  if (ev.k === "control.input") return input(el, ev);
  return "unknown control";
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
