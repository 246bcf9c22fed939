// Reading replica nodes without trusting their own properties: a visitor's form can
// clobber them (`<form><input name="localName">` makes form.localName an element), so
// the workspace asks the DOM prototypes instead. Works across the same-origin iframe.

/**
 * @param {object} proto
 * @param {string} name
 * @returns {(node: any) => any}
 */
function getter(proto, name) {
  const desc = Object.getOwnPropertyDescriptor(proto, name);
  const get = /** @type {Function} */ (desc?.get);
  return (node) => get.call(node);
}

const nodeType = getter(Node.prototype, 'nodeType');
const parentNode = getter(Node.prototype, 'parentNode');
const childNodes = getter(Node.prototype, 'childNodes');
const localName = getter(Element.prototype, 'localName');
const shadowRoot = getter(Element.prototype, 'shadowRoot');
const host = getter(ShadowRoot.prototype, 'host');
const closest = Element.prototype.closest;
const getAttribute = Element.prototype.getAttribute;

/**
 * The node type, or 0 for anything that is not a node.
 * @param {unknown} node
 * @returns {number}
 */
export function typeOf(node) {
  try {
    return nodeType(node);
  } catch {
    return 0;
  }
}

/**
 * An element's lower-case local name ('' for other nodes).
 * @param {unknown} node
 * @returns {string}
 */
export function nameOf(node) {
  return typeOf(node) === 1 ? String(localName(node)).toLowerCase() : '';
}

/**
 * The parent node, or the host of a shadow root.
 * @param {Node} node
 * @returns {Node|null}
 */
export function parentOf(node) {
  const t = typeOf(node);
  if (t === 11) {
    try {
      return host(node);
    } catch {
      return null;
    }
  }
  return t ? parentNode(node) : null;
}

/**
 * The child nodes (a live NodeList), shadow root excluded.
 * @param {Node} node
 * @returns {NodeListOf<ChildNode>|never[]}
 */
export function childrenOf(node) {
  return typeOf(node) ? childNodes(node) : [];
}

/**
 * An element's open shadow root, if any.
 * @param {Node} node
 * @returns {ShadowRoot|null}
 */
export function shadowOf(node) {
  return typeOf(node) === 1 ? shadowRoot(node) : null;
}

/**
 * Element.closest without trusting the element's own `closest`.
 * @param {Element|null} el
 * @param {string} selector
 * @returns {Element|null}
 */
export function closestOf(el, selector) {
  return el && typeOf(el) === 1 ? closest.call(el, selector) : null;
}

/**
 * An attribute's value without trusting the element's own `getAttribute`.
 * @param {Element} el
 * @param {string} name
 * @returns {string|null}
 */
export function attrOf(el, name) {
  return typeOf(el) === 1 ? getAttribute.call(el, name) : null;
}

const removeChild = Node.prototype.removeChild;
const rect = Element.prototype.getBoundingClientRect;

/**
 * Take a node out of its parent (no-op when it has none).
 * @param {Node} node
 */
export function detach(node) {
  const parent = parentOf(node);
  if (parent && typeOf(node) !== 11) removeChild.call(parent, node);
}

/**
 * An element's box in its own document's viewport.
 * @param {Element} el
 * @returns {DOMRect}
 */
export function boxOf(el) {
  return rect.call(el);
}

// Documents and forms of the replica keep the page's ids and names (issue 11, item 5), so
// `<img name="querySelectorAll">` makes doc.querySelectorAll that image: every call on a
// replica document (or a form in it) goes through the prototypes below instead.
const D = Document.prototype;
const N = Node.prototype;
const ownerDocument = getter(N, 'ownerDocument');
const isConnected = getter(N, 'isConnected');
const defaultView = getter(D, 'defaultView');
const documentElement = getter(D, 'documentElement');
const compatMode = getter(D, 'compatMode');
const fonts = getter(D, 'fonts');
const doctype = getter(D, 'doctype');
const styleSheets = getter(D, 'styleSheets');
const adopted = {
  9: Object.getOwnPropertyDescriptor(D, 'adoptedStyleSheets')?.set,
  11: Object.getOwnPropertyDescriptor(ShadowRoot.prototype, 'adoptedStyleSheets')?.set,
};
const listen = EventTarget.prototype.addEventListener;
const querySelectorAllOf = {
  1: Element.prototype.querySelectorAll, 9: D.querySelectorAll, 11: DocumentFragment.prototype.querySelectorAll,
};

/**
 * The document a node belongs to (the node itself for a document).
 * @param {Node} node
 * @returns {Document|null}
 */
export function docOf(node) {
  const t = typeOf(node);
  if (t === 9) return /** @type {Document} */ (node);
  return t ? ownerDocument(node) : null;
}

/**
 * A document's window.
 * @param {Document} doc
 * @returns {Window|null}
 */
export function viewOf(doc) {
  return typeOf(doc) === 9 ? defaultView(doc) : null;
}

/**
 * A document's root element.
 * @param {Document} doc
 * @returns {Element|null}
 */
export function rootOf(doc) {
  return typeOf(doc) === 9 ? documentElement(doc) : null;
}

/**
 * A document's compatMode, its doctype node and its FontFaceSet.
 * @param {Document} doc
 */
export function modeOf(doc) {
  return { compatMode: compatMode(doc), doctype: doctype(doc), fonts: fonts(doc), sheets: styleSheets(doc) };
}

/**
 * querySelectorAll on a document, element or shadow root, as an array.
 * @param {Node} root
 * @param {string} selector
 * @returns {Element[]}
 */
export function queryAll(root, selector) {
  const fn = querySelectorAllOf[/** @type {1|9|11} */ (typeOf(root))];
  return fn ? Array.from(fn.call(root, selector)) : [];
}

/**
 * addEventListener without trusting the target's own.
 * @param {EventTarget} target
 * @param {string} type
 * @param {EventListener} fn
 * @param {boolean|AddEventListenerOptions} [opts]
 */
export function on(target, type, fn, opts) {
  listen.call(target, type, fn, opts);
}

/** Document factories of a replica document. */
export const make = {
  /** @param {Document} doc @param {string} name */
  element: (doc, name) => D.createElement.call(doc, name),
  /** @param {Document} doc @param {string} ns @param {string} name */
  elementNS: (doc, ns, name) => D.createElementNS.call(doc, ns, name),
  /** @param {Document} doc @param {string} text */
  text: (doc, text) => D.createTextNode.call(doc, text),
  /** @param {Document} doc */
  range: (doc) => D.createRange.call(doc),
  /** @param {Document} doc */
  selection: (doc) => D.getSelection.call(doc),
};

/**
 * appendChild without trusting the parent's own (a form or a document may shadow it).
 * @param {Node} parent
 * @param {Node} child
 */
export function append(parent, child) {
  return N.appendChild.call(parent, child);
}

/**
 * Whether a node is in a document.
 * @param {Node} node
 * @returns {boolean}
 */
export function connectedOf(node) {
  return typeOf(node) ? isConnected(node) : false;
}

/**
 * Set a document's or shadow root's adopted style sheets.
 * @param {Document|ShadowRoot} root
 * @param {CSSStyleSheet[]} sheets
 */
export function adopt(root, sheets) {
  const set = adopted[/** @type {9|11} */ (typeOf(root))];
  if (set) set.call(root, sheets);
}

const scrollTopDesc = /** @type {PropertyDescriptor} */ (Object.getOwnPropertyDescriptor(Element.prototype, 'scrollTop'));
const scrollLeftDesc = /** @type {PropertyDescriptor} */ (Object.getOwnPropertyDescriptor(Element.prototype, 'scrollLeft'));
const scrollTo = Element.prototype.scrollTo;

/**
 * An element's scroll offsets [left, top] (a form's own scrollTop may be a field).
 * @param {Element} el
 * @returns {[number, number]}
 */
export function scrollOf(el) {
  return [scrollLeftDesc.get?.call(el), scrollTopDesc.get?.call(el)];
}

/**
 * Scroll an element or a window at once: "instant" even where the page sets
 * scroll-behavior: smooth (issue 11, item 4), or the replica would trail the visitor.
 * @param {Element|Window} target
 * @param {number} x
 * @param {number} y
 */
export function scrollNow(target, x, y) {
  const to = { left: x, top: y, behavior: /** @type {ScrollBehavior} */ ('instant') };
  if (typeOf(target) === 1) scrollTo.call(target, to);
  else /** @type {Window} */ (target).scrollTo(to);
}
