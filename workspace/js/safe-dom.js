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
