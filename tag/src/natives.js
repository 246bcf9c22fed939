/**
 * Pristine references to the DOM and JSON functions the tag relies on, so a page that
 * overrides addEventListener, JSON.stringify, fetch or setTimeout (zone.js, analytics
 * wrappers, bugs) cannot break us. They come from a hidden about:blank iframe's realm,
 * which the page's scripts never touched. The iframe lives in the tag's own shadow root,
 * so it is never captured.
 * @module natives
 */
import { createElement } from "./dom.js";

/**
 * @typedef {Object} Natives
 * @property {(t: EventTarget, type: string, fn: EventListener, opts?: any) => void} listen
 * @property {(t: EventTarget, type: string, fn: EventListener, opts?: any) => void} unlisten
 * @property {<F extends Function>(fn: F) => F} guard  wrap a callback so it cannot throw into the page
 * @property {(v: any) => string} stringify
 * @property {(s: string) => any} parse
 * @property {typeof fetch} fetch
 * @property {(fn: Function, ms: number) => number} setTimeout
 * @property {(id: number) => void} clearTimeout
 * @property {() => number} now
 * @property {() => number} random
 * @property {typeof MutationObserver} MutationObserver
 * @property {typeof AbortController} AbortController
 */

/**
 * True when fn looks like a browser built-in, not a page's wrapper.
 * @param {any} fn
 * @param {Function} toString a pristine Function.prototype.toString
 */
function isNative(fn, toString) {
  try {
    return typeof fn === "function" && /\{\s*\[native code\]\s*\}\s*$/.test(toString.call(fn));
  } catch (e) {
    return false;
  }
}

/**
 * Build the natives from a hidden iframe appended to `container` (the tag's shadow root).
 * Window-bound functions (fetch, timers) prefer the main window's when they are still
 * built-ins, because they keep working if the iframe is ever detached.
 * @param {ParentNode} container
 * @returns {Natives}
 */
export function createNatives(container) {
  /** @type {any} */
  let w = window;
  try {
    const frame = createElement("iframe");
    frame.setAttribute("aria-hidden", "true");
    frame.setAttribute("tabindex", "-1");
    frame.style.cssText = "display:none!important";
    container.appendChild(frame);
    if (frame.contentWindow && frame.contentWindow.JSON) w = frame.contentWindow;
  } catch (e) {
    w = window;
  }
  const toString = w.Function.prototype.toString;
  /** @param {string} name */
  const pick = (name) => {
    const own = /** @type {any} */ (window)[name];
    return isNative(own, toString) ? own.bind(window) : w[name].bind(w);
  };
  const ET = w.EventTarget.prototype;
  const add = ET.addEventListener;
  const remove = ET.removeEventListener;
  const JSONn = w.JSON;
  const MathN = w.Math;
  const DateN = w.Date;
  /** @type {WeakMap<Function, any>} */
  const guarded = new WeakMap();
  /** Our callbacks never throw into the page: errors are reported as warnings. @param {Function} fn */
  const guard = (fn) => {
    let g = guarded.get(fn);
    if (!g) {
      g = function (/** @type {any[]} */ ...args) {
        try {
          return fn.apply(this, args);
        } catch (err) {
          try {
            console.warn("[cobrowse]", err);
          } catch (e) {
            /* console gone */
          }
        }
      };
      guarded.set(fn, g);
    }
    return g;
  };
  const timeout = pick("setTimeout");
  return {
    listen: (t, type, fn, opts) => add.call(t, type, guard(fn), opts),
    unlisten: (t, type, fn, opts) => remove.call(t, type, guard(fn), opts),
    guard,
    stringify: (v) => JSONn.stringify(v),
    parse: (s) => JSONn.parse(s),
    fetch: pick("fetch"),
    setTimeout: (fn, ms) => timeout(guard(fn), ms),
    clearTimeout: pick("clearTimeout"),
    now: () => DateN.now(),
    random: () => MathN.random(),
    MutationObserver: isNative(window.MutationObserver, toString) ? window.MutationObserver : w.MutationObserver,
    AbortController: isNative(window.AbortController, toString) ? window.AbortController : w.AbortController,
  };
}
