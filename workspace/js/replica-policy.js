// The replica's own allow-list: the third wall after the tag and the server sanitizer
// (issue 4, item 9). Even data the server already sanitized is checked again here, so a bug
// in one wall is not enough to reach the agent.

import { nameOf } from './safe-dom.js';

export const SVG_NS = 'http://www.w3.org/2000/svg';
export const MATHML_NS = 'http://www.w3.org/1998/Math/MathML';
export const XLINK_NS = 'http://www.w3.org/1999/xlink';

const setAttribute = Element.prototype.setAttribute;
const setAttributeNS = Element.prototype.setAttributeNS;
const removeAttr = Element.prototype.removeAttribute;
const removeAttrNS = Element.prototype.removeAttributeNS;

//: Elements never created in the replica (no script, no plugins, no refresh, no base).
const SKIPPED_TAGS = new Set([
  'script', 'noscript', 'object', 'embed', 'applet', 'frame', 'frameset', 'base', 'meta',
  'portal', 'fencedframe', 'param', 'animate', 'animatemotion', 'animatetransform', 'set',
  'discard', 'handler', 'listener',
]);

//: Attributes dropped on every element: they load, submit, run or steal focus.
const BLOCKED_ATTRS = new Set([
  'srcdoc', 'action', 'formaction', 'ping', 'http-equiv', 'autofocus', 'autoplay', 'nonce',
  'popovertarget', 'popovertargetaction', 'xml:base',
  // The replica decides these itself (issue 10, items 6 and 10): no referrer, no credentials,
  // media that never plays or loads more than its first frame.
  'referrerpolicy', 'credentialless', 'attributionsrc', 'controls', 'loop', 'preload',
]);

//: Attributes holding a URL; their value must pass safeUrl.
const URL_ATTRS = new Set([
  'href', 'src', 'xlink:href', 'poster', 'background', 'cite', 'longdesc', 'lowsrc', 'data',
  'codebase', 'manifest', 'icon', 'profile', 'usemap', 'dynsrc', 'imagesrcset', 'srcset',
]);

//: Raster image types allowed in data: URLs (issue 4, item 4).
const DATA_IMAGE = /^data:image\/(png|jpeg|jpg|gif|webp|avif)[;,]/i;

//: The server's resource proxy (issue 11): fonts, style sheets and images of the site
//: fetched by our origin. The only relative URLs allowed, and only where a resource loads.
const PROXY_PATH = /^\/replica-assets\/[A-Za-z0-9._-]+\/(font|style|image)\/[A-Za-z0-9_-]+\/[A-Za-z0-9_-]+$/;
const PROXY_ATTRS = new Set(['src', 'href', 'xlink:href', 'poster', 'background']);

/**
 * Whether an element of this name and namespace may exist in the replica.
 * @param {string} name lower-case tag name
 * @returns {boolean}
 */
export function allowedTag(name) {
  return !SKIPPED_TAGS.has(name.toLowerCase());
}

/**
 * Whether a URL may appear in the replica: absolute http(s), a fragment, mailto:/tel: on
 * links, or a raster data: image. Relative URLs are refused: the server makes every URL
 * absolute, and a relative one would resolve against the workspace's own origin.
 * @param {string} value
 * @param {string} attr lower-case attribute name
 * @returns {boolean}
 */
export function safeUrl(value, attr) {
  // eslint-disable-next-line no-control-regex
  const v = String(value).replace(/[\u0000-\u0020\u007f-\u009f\u200b-\u200f\u2028\u2029\ufeff]/g, '');
  if (v.startsWith('#')) return attr === 'href' || attr === 'xlink:href' || attr === 'usemap';
  if (DATA_IMAGE.test(v)) return attr !== 'href' && attr !== 'xlink:href' && attr !== 'data';
  if (v.startsWith('/')) return PROXY_PATH.test(v) && PROXY_ATTRS.has(attr);
  let url;
  try {
    url = new URL(v);
  } catch {
    return false;
  }
  if (url.protocol === 'http:' || url.protocol === 'https:') return true;
  return (url.protocol === 'mailto:' || url.protocol === 'tel:') && attr === 'href';
}

/**
 * Whether every candidate of a srcset passes safeUrl.
 * @param {string} value
 * @returns {boolean}
 */
function safeSrcset(value) {
  return String(value)
    .split(/,\s+/)
    .map((part) => part.trim().split(/\s+/)[0])
    .filter(Boolean)
    .every((u) => safeUrl(u, 'src'));
}

/**
 * Set one attribute on a replica element if the policy allows it. Ids and names are kept
 * as the page has them (issue 11, item 5), even those that name a DOM property: the
 * workspace reads replica documents and forms only through safe-dom.js, never through
 * their own (clobberable) properties; anything refused or
 * failing setAttribute is skipped silently on purpose (the page still shows).
 * @param {Element} el
 * @param {string} name
 * @param {string} value
 * @returns {boolean} whether the attribute was set
 */
export function setSafeAttribute(el, name, value) {
  const lower = String(name).toLowerCase();
  const tag = nameOf(el);
  if (lower.startsWith('on') || lower.startsWith('xmlns') || BLOCKED_ATTRS.has(lower)) return false;
  if (tag === 'iframe' && (lower === 'src' || lower === 'sandbox' || lower === 'allow')) return false;
  if (tag === 'link' && lower === 'rel' && !/^\s*stylesheet\s*$/i.test(String(value))) return false;
  if (lower === 'srcset' || lower === 'imagesrcset') {
    if (!safeSrcset(value)) return false;
  } else if (URL_ATTRS.has(lower) && !safeUrl(value, lower)) {
    return false;
  }
  // A credentialed CORS fetch would carry the agent's cookies: anonymous at most.
  if (lower === 'crossorigin') value = 'anonymous';
  if (tag === 'use' && (lower === 'href' || lower === 'xlink:href') && !String(value).startsWith('#')) return false;
  try {
    if (lower.startsWith('xlink:')) setAttributeNS.call(el, XLINK_NS, name, String(value));
    else setAttribute.call(el, name, String(value));
    return true;
  } catch {
    return false;
  }
}

/**
 * Remove an attribute (a mutation with v = null). Removing is always safe.
 * @param {Element} el
 * @param {string} name
 */
export function removeAttribute(el, name) {
  if (FORCED_ATTRS.has(String(name).toLowerCase())) return; // set by the replica, not the page
  try {
    if (String(name).toLowerCase().startsWith('xlink:')) removeAttrNS.call(el, XLINK_NS, name.slice(6));
    else removeAttr.call(el, name);
  } catch {
    /* an invalid name was never set */
  }
}

//: Elements that fetch and take a referrerpolicy attribute.
const REFERRING = new Set(['img', 'link', 'iframe', 'a', 'area']);
//: Attributes the replica sets itself: a mutation from the page cannot remove them.
const FORCED_ATTRS = new Set(['referrerpolicy', 'preload', 'sandbox', 'credentialless']);

/**
 * What the replica adds to an element it built (issue 10, items 6 and 10): no referrer on
 * anything that fetches; iframes without credentials; video and audio show their poster or
 * first frame only (preload=metadata, muted, no controls to start a download).
 * @param {Element} el
 */
export function hardenElement(el) {
  const tag = nameOf(el);
  try {
    if (REFERRING.has(tag)) setAttribute.call(el, 'referrerpolicy', 'no-referrer');
    if (tag === 'iframe') setAttribute.call(el, 'credentialless', '');
    if (tag === 'video' || tag === 'audio') {
      setAttribute.call(el, 'preload', 'metadata');
      setAttribute.call(el, 'muted', '');
      /** @type {HTMLMediaElement} */ (el).muted = true;
    }
  } catch {
    /* not an HTML element of that name (SVG a, MathML): nothing to add */
  }
}

/**
 * Whether a canvas picture may be shown (a raster data: URL).
 * @param {unknown} url
 * @returns {boolean}
 */
export function safeImageData(url) {
  return typeof url === 'string' && DATA_IMAGE.test(url);
}

/** Style the workspace adds inside the replica: placeholders as calm grey boxes. */
export const REPLICA_CSS = `
[data-cobrowse-placeholder] {
  display: flex !important; align-items: center !important; justify-content: center !important;
  box-sizing: border-box !important; min-width: 40px; min-height: 24px; overflow: hidden !important;
  background: #e7e9ee !important; color: #3d4350 !important; border: 1px dashed #9aa1ad !important;
  font: 13px/1.3 system-ui, sans-serif !important; text-align: center !important; padding: 4px !important;
}
[data-cobrowse-placeholder]:empty::after { content: attr(data-cobrowse-placeholder); }
`;
