// Tiny helpers to build the workspace's own interface (never visitor data as markup).

/**
 * Create an element of the workspace document.
 * Props: `class`, `text`, `testid` (data-testid), `on<event>` listeners, other attributes.
 * @param {string} tag
 * @param {Record<string, any>} [props]
 * @param {...(Node|string|null|false|Array<Node|string|null|false>)} children
 * @returns {HTMLElement}
 */
export function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value == null || value === false) continue;
    if (key === 'class') el.className = value;
    else if (key === 'text') el.textContent = value;
    else if (key === 'testid') el.dataset.testid = value;
    else if (key.startsWith('on') && typeof value === 'function') el.addEventListener(key.slice(2), value);
    else el.setAttribute(key, value === true ? '' : String(value));
  }
  for (const child of children.flat()) {
    if (child == null || child === false) continue;
    el.append(child instanceof Node ? child : String(child));
  }
  return el;
}

/**
 * Show or hide an element with the `hidden` attribute.
 * @param {HTMLElement} el
 * @param {boolean} visible
 */
export function show(el, visible) {
  el.hidden = !visible;
}

/**
 * A short, human time of day ("14:05") for a timestamp in seconds or milliseconds.
 * @param {number} ts
 * @returns {string}
 */
export function clock(ts) {
  if (!ts) return '';
  const ms = ts < 1e12 ? ts * 1000 : ts;
  return new Date(ms).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
}

/**
 * Call `fn` at most once per `ms`, always with the latest arguments (trailing call kept).
 * @template {any[]} A
 * @param {(...args: A) => void} fn
 * @param {number} ms
 * @returns {((...args: A) => void) & {cancel: () => void}}
 */
export function throttle(fn, ms) {
  let last = 0;
  let timer = 0;
  /** @type {A|null} */
  let pending = null;
  const run = () => {
    timer = 0;
    last = Date.now();
    const args = pending;
    pending = null;
    if (args) fn(...args);
  };
  const wrapped = (/** @type {A} */ ...args) => {
    pending = args;
    const wait = ms - (Date.now() - last);
    if (wait <= 0 && !timer) run();
    else if (!timer) timer = window.setTimeout(run, Math.max(wait, 0));
  };
  wrapped.cancel = () => {
    window.clearTimeout(timer);
    timer = 0;
    pending = null;
  };
  return wrapped;
}
