/**
 * Pristine DOM accessors, immune to DOM clobbering. The page's own markup can shadow
 * properties: `<img name=createElement>` makes `document.createElement` an element
 * (Document is [LegacyOverrideBuiltIns]), and `<form><input name=firstChild></form>` does
 * the same to any property of a form element. So every DOM read or call the tag makes on
 * a node it did not create (and on documents) goes through the prototype's own getter or
 * method, taken once at load: clobbering changes instances, never the prototypes.
 * Type-specific properties of elements that cannot be clobbered (input.value,
 * iframe.contentDocument, canvas...) are read directly.
 * @module dom
 */

/** @param {any} proto @param {string} name @returns {PropertyDescriptor|undefined} */
function lookup(proto, name) {
  for (let p = proto; p; p = Object.getPrototypeOf(p)) {
    const d = Object.getOwnPropertyDescriptor(p, name);
    if (d) return d;
  }
  return undefined;
}
/** @param {any} proto @param {string} name @returns {Function} */
const getter = (proto, name) => /** @type {any} */ (lookup(proto, name)).get;
/** @param {any} proto @param {string} name @returns {Function} */
const method = (proto, name) => /** @type {any} */ (lookup(proto, name)).value;

const N = Node.prototype;
const E = Element.prototype;
const D = Document.prototype;

const gNodeType = getter(N, "nodeType");
const gFirstChild = getter(N, "firstChild");
const gNextSibling = getter(N, "nextSibling");
const gParentNode = getter(N, "parentNode");
const gParentElement = getter(N, "parentElement");
const gOwnerDocument = getter(N, "ownerDocument");
const gIsConnected = getter(N, "isConnected");
const gBaseURI = getter(N, "baseURI");
const textContentD = /** @type {PropertyDescriptor} */ (lookup(N, "textContent"));
const fGetRootNode = method(N, "getRootNode");
const fAppendChild = method(N, "appendChild");
const gLocalName = getter(E, "localName");
const gNamespaceURI = getter(E, "namespaceURI");
const gAttributes = getter(E, "attributes");
const gShadowRoot = getter(E, "shadowRoot");
const gScrollTop = getter(E, "scrollTop");
const gScrollLeft = getter(E, "scrollLeft");
const fGetAttribute = method(E, "getAttribute");
const fMatches = method(E, "matches");
const fClosest = method(E, "closest");
const fElQSA = method(E, "querySelectorAll");
const fRect = method(E, "getBoundingClientRect");
const fScrollTo = method(E, "scrollTo");
const fAnimate = method(E, "animate");
const fDispatch = method(EventTarget.prototype, "dispatchEvent");
const gHost = getter(ShadowRoot.prototype, "host");
const fFragQSA = method(DocumentFragment.prototype, "querySelectorAll");
const fFocus = method(HTMLElement.prototype, "focus");
const fClick = method(HTMLElement.prototype, "click");
const gContentEditable = getter(HTMLElement.prototype, "isContentEditable");
const fCreateElement = method(D, "createElement");
const fCreateElementNS = method(D, "createElementNS");
const fCreateTextNode = method(D, "createTextNode");
const fCreateFragment = method(D, "createDocumentFragment");
const fCreateRange = method(D, "createRange");
const fGetSelection = method(D, "getSelection");
const fDocQS = method(D, "querySelector");
const fDocQSA = method(D, "querySelectorAll");
const gDocumentElement = getter(D, "documentElement");
const gScrollingElement = getter(D, "scrollingElement");
const gDefaultView = getter(D, "defaultView");
const gTitle = getter(D, "title");
const gVisibility = getter(D, "visibilityState");
const gAdopted = getter(D, "adoptedStyleSheets");
const gRootAdopted = getter(ShadowRoot.prototype, "adoptedStyleSheets");

/** @param {Node} n @returns {number} */
export const nodeType = (n) => gNodeType.call(n);
/** @param {Node} n @returns {ChildNode|null} */
export const firstChild = (n) => gFirstChild.call(n);
/** @param {Node} n @returns {ChildNode|null} */
export const nextSibling = (n) => gNextSibling.call(n);
/** @param {Node} n @returns {ParentNode|null} */
export const parentNode = (n) => gParentNode.call(n);
/** @param {Node} n @returns {Element|null} */
export const parentElement = (n) => gParentElement.call(n);
/** @param {Node} n @returns {Document|null} */
export const ownerDocument = (n) => gOwnerDocument.call(n);
/** @param {Node} n @returns {boolean} */
export const isConnected = (n) => gIsConnected.call(n);
/** @param {Node} n @returns {string} */
export const baseURI = (n) => gBaseURI.call(n);
/** @param {Node} n @returns {string|null} */
export const textOf = (n) => /** @type {any} */ (textContentD.get).call(n);
/** @param {Node} n @param {string} v */
export const setText = (n, v) => /** @type {any} */ (textContentD.set).call(n, v);
/** @param {Node} n @returns {Node} */
export const rootNode = (n) => fGetRootNode.call(n);
/** @param {Node} parent @param {Node} child */
export const append = (parent, child) => fAppendChild.call(parent, child);

/** @param {Element} el @returns {string} */
export const localName = (el) => gLocalName.call(el);
/** @param {Element} el @returns {string|null} */
export const namespaceURI = (el) => gNamespaceURI.call(el);
/** @param {Element} el @returns {NamedNodeMap} */
export const attributes = (el) => gAttributes.call(el);
/** The open shadow root of any node (null for non-elements). @param {Node} n @returns {ShadowRoot|null} */
export const shadowOf = (n) => (gNodeType.call(n) === 1 ? gShadowRoot.call(n) : null);
/** @param {Element} el @returns {ShadowRoot|null} */
export const shadowRoot = (el) => gShadowRoot.call(el);
/** @param {Element} el @returns {number} */
export const scrollTop = (el) => gScrollTop.call(el);
/** @param {Element} el @returns {number} */
export const scrollLeft = (el) => gScrollLeft.call(el);
/** @param {Element} el @param {string} name @returns {string|null} */
export const getAttr = (el, name) => fGetAttribute.call(el, name);
/** @param {Element} el @param {string} sel @returns {boolean} */
export const matches = (el, sel) => fMatches.call(el, sel);
/** @param {Element} el @param {string} sel @returns {Element|null} */
export const closest = (el, sel) => fClosest.call(el, sel);
/** @param {Element} el @returns {DOMRect} */
export const rect = (el) => fRect.call(el);
/** @param {Element} el @param {ScrollToOptions} to */
export const scrollElementTo = (el, to) => fScrollTo.call(el, to);
/** @param {Element} el @param {Keyframe[]} frames @param {KeyframeAnimationOptions} opts */
export const animate = (el, frames, opts) => fAnimate.call(el, frames, opts);
/** @param {EventTarget} t @param {Event} ev @returns {boolean} */
export const dispatch = (t, ev) => fDispatch.call(t, ev);
/** @param {HTMLElement} el @param {FocusOptions} [opts] */
export const focus = (el, opts) => fFocus.call(el, opts);
/** @param {HTMLElement} el */
export const click = (el) => fClick.call(el);
/** An HTML element (of any frame's realm, unlike instanceof). @param {Element} el @returns {boolean} */
export const isHTML = (el) => gNamespaceURI.call(el) === "http://www.w3.org/1999/xhtml";
/** @param {Element} el @returns {boolean} */
export const isContentEditable = (el) => isHTML(el) && gContentEditable.call(el);
/** The host of a shadow root; null for anything else. @param {Node} r @returns {Element|null} */
export function hostOf(r) {
  try {
    return gHost.call(r);
  } catch (e) {
    return null;
  }
}

/**
 * querySelectorAll on a document, a shadow root or an element, through the right prototype.
 * @param {Node} root @param {string} sel @returns {NodeListOf<Element>}
 */
export function queryAll(root, sel) {
  const t = gNodeType.call(root);
  if (t === 9) return fDocQSA.call(root, sel);
  if (t === 11) return fFragQSA.call(root, sel);
  return fElQSA.call(root, sel);
}

/** adoptedStyleSheets of a document or shadow root. @param {Node} root @returns {CSSStyleSheet[]|undefined} */
export function adoptedOf(root) {
  try {
    return gNodeType.call(root) === 9 ? gAdopted.call(root) : gRootAdopted.call(root);
  } catch (e) {
    return undefined;
  }
}

/** @param {string} tag @param {Document} [doc] @returns {HTMLElement} */
export const createElement = (tag, doc) => fCreateElement.call(doc || document, tag);
/** @param {string} ns @param {string} tag @returns {Element} */
export const createElementNS = (ns, tag) => fCreateElementNS.call(document, ns, tag);
/** @param {string} text @returns {Text} */
export const createTextNode = (text) => fCreateTextNode.call(document, text);
/** @returns {DocumentFragment} */
export const createFragment = () => fCreateFragment.call(document);
/** @param {Document} [doc] @returns {Range} */
export const createRange = (doc) => fCreateRange.call(doc || document);
/** @returns {Selection|null} */
export const getSelection = () => fGetSelection.call(document);
/** @param {string} sel @returns {Element|null} */
export const querySelector = (sel) => fDocQS.call(document, sel);
/** @param {Document} [doc] @returns {Element|null} */
export const documentElement = (doc) => gDocumentElement.call(doc || document);
/** @returns {Element|null} */
export const scrollingElement = () => gScrollingElement.call(document);
/** @param {Document} [doc] @returns {Window|null} */
export const defaultView = (doc) => gDefaultView.call(doc || document);
/** @returns {string} */
export const title = () => gTitle.call(document);
/** @returns {string} */
export const visibilityState = () => gVisibility.call(document);
