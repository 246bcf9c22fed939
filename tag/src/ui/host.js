/**
 * The tag's own corner of the page: one host element with an OPEN shadow root (so QA
 * tools such as Playwright's get_by_test_id reach our controls), excluded from capture.
 * @module ui/host
 */
import { CSS } from "./style.js";
import * as dom from "../dom.js";

/**
 * @typedef {Object} UiHost
 * @property {HTMLElement} host
 * @property {ShadowRoot} root
 * @property {(tag: string, attrs?: Record<string, string>, text?: string) => HTMLElement} el  create an element in our document
 * @property {() => void} remove
 */

/**
 * Create the host and attach it to the page (re-attached if the page removes it).
 * @returns {UiHost}
 */
export function createHost() {
  const host = dom.createElement("cobrowse-ui");
  host.setAttribute("data-cobrowse-ui", "");
  host.style.cssText =
    "all:initial!important;position:fixed!important;top:0!important;left:0!important;width:0!important;" +
    "height:0!important;z-index:2147483647!important;display:block!important;overflow:visible!important";
  const root = host.attachShadow({ mode: "open" });
  const style = dom.createElement("style");
  style.textContent = CSS;
  root.appendChild(style);
  dom.append(/** @type {Element} */ (dom.documentElement()), host);
  return {
    host,
    root,
    el(tag, attrs, text) {
      const e = dom.createElement(tag);
      if (attrs) for (const k in attrs) e.setAttribute(k, attrs[k]);
      if (text !== undefined) e.textContent = text;
      return e;
    },
    remove() {
      host.remove();
    },
  };
}
