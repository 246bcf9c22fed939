/**
 * Masking, decided in the tag before anything is serialized (DESIGN.md "Snapshots"):
 * every password field (also after a "show password" toggle turned it into text), every
 * element marked `data-cobrowse-mask` and its descendants, and the site's CSS selectors
 * from hello's `config.mask`. A masked value becomes MASK_PLACEHOLDER; value-like
 * attributes of masked elements are never sent.
 *
 * Private by default (issue 14, hello's `config.private`): every other element is "soft"
 * masked too, except the `config.unmask` matches and their descendants. Soft masking keeps
 * the page's shape: images, style sheets (their wordy `content:` strings blanked), SVG
 * geometry, layout attributes. Passwords, the marker and `config.mask` win over unmask.
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
 * @property {boolean} private  the site is private by default
 * @property {(root: Document|ShadowRoot|Element) => Set<Element>} lifts  unmask matches in a root
 * @property {(el: Element) => boolean} liftsSelf  the element itself matches an unmask rule
 * @property {(el: Element) => number} level  0 shown, SOFT or HARD masked (ancestors included)
 * @property {(el: Element, name: string) => boolean} keepSoft  may a soft-masked element send this attribute?
 * @property {(css: string) => string} css  style sheet text as sent (blanked strings when private)
 * @property {() => string} title  the document's title as sent
 */

/** Masking levels: soft (a private site's default, lifted by unmask) and hard (never lifted). */
export const SOFT = 1;
export const HARD = 2;

/** Elements never soft masked: the page's style (its strings are blanked instead). */
export const STRUCTURAL = new Set(["style", "link"]);
const SOFT_IMAGE = new Set(["src", "srcset", "sizes", "media"]);
const IMAGE_TAGS = new Set(["img", "source", "picture", "video", "image"]);
const SOFT_LINK = new Set(["href", "rel", "media", "crossorigin", "as"]);
const SOFT_SVG = new Set((
  "viewBox d fill stroke stroke-width stroke-linecap stroke-linejoin fill-rule clip-rule cx cy r " +
  "rx ry x y x1 y1 x2 y2 points transform opacity fill-opacity stroke-opacity preserveAspectRatio " +
  "xmlns offset stop-color gradientUnits gradientTransform").split(" "));
const SVG_NS = "http://www.w3.org/2000/svg";

/** `content:` and custom property declarations (their strings may be page text). */
const STRING_DECLARATION = /((?:^|[;{\s])(?:content|--[\w-]+)\s*:)([^;}]*)/gi;
const CSS_STRING = /"(?:[^"\\]|\\[\s\S])*"|'(?:[^'\\]|\\[\s\S])*'/g;
const WORDY = /[\p{L}\p{N}]/u;

/** @param {string} body a CSS string's inside */
function unescapeCss(body) {
  return body.replace(/\\([0-9a-fA-F]{1,6})\s?|\\([\s\S])/g, (_, hex, ch) => {
    if (!hex) return ch;
    const code = parseInt(hex, 16);
    return code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : "\ufffd";
  });
}

/**
 * CSS with the wordy strings of `content` and `--*` declarations replaced by the
 * placeholder (an icon font's glyph or a quote mark stays). Same rule as the server's
 * cobrowse/sanitize/private.py.
 * @param {string} text
 */
export function blankCssStrings(text) {
  if (!/content|--/i.test(text)) return text;
  return text.replace(STRING_DECLARATION, (_, head, value) =>
    head + value.replace(CSS_STRING, (str) => (WORDY.test(unescapeCss(str.slice(1, -1))) ? `"${MASK_PLACEHOLDER}"` : str)));
}

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
 * Walk up from `el` across shadow and frame boundaries until `test` says yes.
 * @param {Element} el
 * @param {(cur: Element) => boolean} test
 */
export function upAcross(el, test) {
  /** @type {Element|null} */
  let cur = el;
  while (cur) {
    if (test(cur)) return true;
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
}

/**
 * @param {unknown} siteSelectors hello's config.mask
 * @param {{private?: unknown, unmask?: unknown}} [privacy] hello's config.private and config.unmask
 * @returns {Masker}
 */
export function createMasker(siteSelectors, privacy = {}) {
  const isPrivate = privacy.private === true;
  const unmask = isPrivate ? validSelectors(privacy.unmask).join(",") : "";
  const selector = ["[data-cobrowse-mask]", 'input[type="password" i]', ...validSelectors(siteSelectors)].join(",");
  /** Elements masked once stay masked (a show-password toggle makes a text field). */
  const sticky = new WeakSet();
  /** @param {Element} el masked by the marker, a password or a site selector (itself or above) */
  const hard = (el) => upAcross(el, (cur) => {
    if (sticky.has(cur)) return true;
    try {
      return !!dom.closest(cur, selector);
    } catch (e) {
      return true;
    }
  });
  /** @param {Element} el inside an unmask match (or a style sheet element) */
  const lifted = (el) => STRUCTURAL.has(dom.localName(el)) || (!!unmask && upAcross(el, (cur) => {
    try {
      return !!dom.closest(cur, unmask);
    } catch (e) {
      return false;
    }
  }));
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
      return hard(el) || (isPrivate && !lifted(el));
    },
    private: isPrivate,
    lifts(root) {
      const set = new Set();
      if (!unmask) return set;
      try {
        const found = dom.queryAll(/** @type {any} */ (root), unmask);
        for (let i = 0; i < found.length; i++) set.add(found[i]);
      } catch (e) {
        /* nothing lifted */
      }
      return set;
    },
    liftsSelf(el) {
      try {
        return !!unmask && dom.matches(el, unmask);
      } catch (e) {
        return false;
      }
    },
    level(el) {
      if (hard(el)) return HARD;
      return isPrivate && !lifted(el) ? SOFT : 0;
    },
    keepSoft(el, name) {
      if (MASKED_KEEP.has(name)) return true;
      const tag = dom.localName(el);
      if (dom.namespaceURI(el) === SVG_NS) return SOFT_SVG.has(name) || (tag === "image" && (name === "href" || name === "xlink:href"));
      if (IMAGE_TAGS.has(tag)) return SOFT_IMAGE.has(name);
      return tag === "link" && SOFT_LINK.has(name);
    },
    css: (text) => (isPrivate ? blankCssStrings(text) : text),
    title() {
      const t = dom.title();
      if (!isPrivate || !t) return t;
      const el = dom.queryAll(document, "head > title")[0];
      return el && !hard(el) && lifted(el) ? t : MASK_PLACEHOLDER;
    },
    matchesSelf,
    keepAttr: (name) => MASKED_KEEP.has(name),
    text: (t) => (/^\s*$/.test(t) ? t : MASK_PLACEHOLDER),
    value: (v) => (v ? MASK_PLACEHOLDER : ""),
  };
}

/**
 * Elements the agent may not operate (issue 14, hello's `config.no_control`): a match, its
 * descendants, and a label whose control is one (a click on it would activate the control).
 * @param {unknown} selectors
 * @returns {(el: Element) => boolean}
 */
export function createControlGuard(selectors) {
  const selector = validSelectors(selectors).join(",");
  if (!selector) return () => false;
  /** @param {Element} el */
  const hit = (el) => upAcross(el, (cur) => {
    try {
      return !!dom.closest(cur, selector);
    } catch (e) {
      return true; // cannot tell: refuse
    }
  });
  return (el) => {
    if (hit(el)) return true;
    let label = null;
    try {
      label = dom.closest(el, "label");
    } catch (e) {
      label = null;
    }
    /** @type {any} */
    let target = null;
    try {
      target = label ? /** @type {HTMLLabelElement} */ (label).control : null;
    } catch (e) {
      target = null;
    }
    return !!target && hit(target);
  };
}
