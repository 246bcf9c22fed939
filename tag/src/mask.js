/**
 * Masking, decided in the tag before anything is serialized (DESIGN.md "Snapshots"):
 * every password field (also after a "show password" toggle turned it into text), every
 * element marked `data-cobrowse-mask` and its descendants, and the site's CSS selectors
 * from hello's `config.mask`. A masked value becomes MASK_PLACEHOLDER; value-like
 * attributes of masked elements are never sent.
 * @module mask
 */
import { MASK_PLACEHOLDER } from "./kinds.js";
import * as dom from "./dom.js";

/** Attributes a masked element keeps: layout and identity, nothing that can carry a value. */
const MASKED_KEEP = new Set([
  "class", "style", "id", "type", "name", "role", "width", "height", "rows", "cols", "size",
  "for", "dir", "lang", "hidden", "disabled", "readonly", "required", "tabindex", "multiple",
  "data-cobrowse-mask",
]);

/**
 * @typedef {Object} Masker
 * @property {string} selector  the combined selector (marker, passwords, site selectors)
 * @property {(root: Document|ShadowRoot) => Set<Element>} roots  masked elements in a root
 * @property {(el: Element) => boolean} isMasked  the element or an ancestor (across shadow and frame boundaries) is masked
 * @property {(el: Element) => boolean} matchesSelf  the element itself matches
 * @property {WeakSet<Element>} sticky  elements masked once, masked for good
 * @property {(name: string) => boolean} keepAttr  may a masked element send this attribute?
 * @property {(text: string) => string} text  masked text (whitespace stays, it reveals nothing)
 * @property {(value: string) => string} value  masked form value
 */

/**
 * Keep the site selectors that the browser can parse; drop the others (never throw later).
 * @param {unknown} list
 * @returns {string[]}
 */
export function validSelectors(list) {
  const out = [];
  if (!Array.isArray(list)) return out;
  const probe = dom.createFragment();
  for (const sel of list) {
    if (typeof sel !== "string" || !sel.trim()) continue;
    try {
      probe.querySelector(sel);
      out.push(sel);
    } catch (e) {
      /* an invalid selector from the server: skip it rather than break capture */
    }
  }
  return out;
}

/**
 * @param {unknown} siteSelectors hello's config.mask
 * @returns {Masker}
 */
export function createMasker(siteSelectors) {
  const selector = ["[data-cobrowse-mask]", 'input[type="password" i]', ...validSelectors(siteSelectors)].join(",");
  /** Elements masked once stay masked (a show-password toggle makes a text field). */
  const sticky = new WeakSet();
  /** @param {Element} el */
  const matchesSelf = (el) => {
    if (sticky.has(el)) return true;
    try {
      if (!dom.matches(el, selector)) return false;
    } catch (e) {
      return true; // cannot tell: mask
    }
    sticky.add(el);
    return true;
  };
  return {
    selector,
    sticky,
    roots(root) {
      const set = new Set();
      try {
        const found = dom.queryAll(root, selector);
        for (let i = 0; i < found.length; i++) {
          const el = found[i];
          set.add(el);
          sticky.add(el);
        }
      } catch (e) {
        /* selector failure: nothing extra */
      }
      return set;
    },
    isMasked(el) {
      /** @type {Element|null} */
      let cur = el;
      while (cur) {
        if (sticky.has(cur)) return true;
        try {
          if (dom.closest(cur, selector)) return true;
        } catch (e) {
          return true;
        }
        const root = dom.rootNode(cur);
        const type = dom.nodeType(root);
        if (type === 11) cur = dom.hostOf(root);
        else if (type !== 9) cur = null;
        else {
          try {
            const win = dom.defaultView(/** @type {Document} */ (root));
            cur = win && win !== window ? win.frameElement : null;
          } catch (e) {
            cur = null;
          }
        }
      }
      return false;
    },
    matchesSelf,
    keepAttr: (name) => MASKED_KEEP.has(name),
    text: (t) => (/^\s*$/.test(t) ? t : MASK_PLACEHOLDER),
    value: (v) => (v ? MASK_PLACEHOLDER : ""),
  };
}
