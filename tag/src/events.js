/**
 * The visitor's interaction events while a session is active: scroll, pointer moves
 * (coalesced to at most ~20 per second), clicks, text selection, resize, visibility.
 * Positions are node id + fraction inside the element, so they land on the same element
 * in the agent's replica whatever its size.
 * @module events
 */
import * as dom from "./dom.js";

/** Minimum milliseconds between two pointer events (about 20 per second). */
const POINTER_MS = 50;
/** Scroll and selection events are sent at most this often, trailing edge. */
const SCROLL_MS = 100;

/**
 * Node id + fractions of a client point inside the nearest captured element.
 * @param {import("./ids.js").NodeIds} ids
 * @param {Element} el
 * @param {number} cx
 * @param {number} cy
 * @returns {{i: number, x: number, y: number}|null}
 */
export function pointOn(ids, el, cx, cy) {
  /** @type {any} */
  let cur = el;
  while (cur && !(dom.nodeType(cur) === 1 && ids.isLive(cur))) cur = dom.parentNode(cur) || dom.hostOf(cur);
  if (!cur) return null;
  const r = dom.rect(cur);
  const fx = r.width ? (cx - r.left) / r.width : 0;
  const fy = r.height ? (cy - r.top) / r.height : 0;
  const clamp = (/** @type {number} */ v) => Math.round(Math.min(1, Math.max(0, v)) * 10000) / 10000;
  return { i: ids.peek(cur), x: clamp(fx), y: clamp(fy) };
}

/**
 * Listen on the window and every captured root.
 * @param {{ids: import("./ids.js").NodeIds, natives: import("./natives.js").Natives, emit: (e: any) => void, exclude: Node|null, quietScroll: () => boolean}} opts
 * @returns {{watch: (root: Document|ShadowRoot) => void, stop: () => void}}
 */
export function recordEvents(opts) {
  const { ids, natives, emit } = opts;
  /** @type {Array<[EventTarget, string, any]>} */
  const bound = [];
  /** @type {Map<Node, number>} */
  const scrolls = new Map();
  /** @type {any} */
  let pendingPointer = null;
  let pointerTimer = 0;
  let lastPointer = 0;
  let selTimer = 0;

  /** @param {EventTarget} t @param {string} type @param {any} fn */
  const on = (t, type, fn) => {
    natives.listen(t, type, fn, { capture: true, passive: true });
    bound.push([t, type, fn]);
  };
  /** @param {Event} e */
  const target = (e) => /** @type {Element} */ (e.composedPath ? e.composedPath()[0] : e.target);
  /** @param {Event} e */
  const ours = (e) => !!opts.exclude && e.composedPath && e.composedPath().indexOf(/** @type {any} */ (opts.exclude)) >= 0;

  const sendPointer = () => {
    pointerTimer = 0;
    if (!pendingPointer) return;
    lastPointer = natives.now();
    emit(pendingPointer);
    pendingPointer = null;
  };
  /** @param {PointerEvent} e */
  const onMove = (e) => {
    if (ours(e)) return;
    const p = pointOn(ids, target(e), e.clientX, e.clientY);
    if (!p) return;
    pendingPointer = { k: "pointer", ...p };
    if (pointerTimer) return;
    const wait = POINTER_MS - (natives.now() - lastPointer);
    if (wait <= 0) sendPointer();
    else pointerTimer = natives.setTimeout(sendPointer, wait);
  };
  /** @param {MouseEvent} e */
  const onClick = (e) => {
    if (ours(e)) return;
    const p = pointOn(ids, target(e), e.clientX, e.clientY);
    if (p) emit({ k: "click", ...p });
  };
  /** @param {Event} e */
  const onScroll = (e) => {
    const t = /** @type {any} */ (target(e));
    const node = t;
    if (!node || scrolls.has(node)) return;
    scrolls.set(node, natives.setTimeout(() => {
      scrolls.delete(node);
      if (opts.quietScroll()) return;
      const type = dom.nodeType(node);
      if (type === 9) {
        const win = dom.defaultView(node);
        if (win && ids.isLive(node)) emit({ k: "scroll", i: ids.peek(node), x: win.scrollX, y: win.scrollY });
      } else if (type === 1 && ids.isLive(node)) emit({ k: "scroll", i: ids.peek(node), x: dom.scrollLeft(node), y: dom.scrollTop(node) });
    }, SCROLL_MS));
  };
  const onSelection = () => {
    if (selTimer) return;
    selTimer = natives.setTimeout(() => {
      selTimer = 0;
      emit({ k: "selection", r: selectionRange(ids) });
    }, SCROLL_MS * 2);
  };
  const onResize = () => emit({ k: "resize", w: window.innerWidth, h: window.innerHeight });
  const onVisibility = () => emit({ k: "visibility", hidden: dom.visibilityState() === "hidden" });

  /** @param {Document|ShadowRoot} root */
  const watch = (root) => {
    on(root, "pointermove", onMove);
    on(root, "click", onClick);
    on(root, "scroll", onScroll);
    if (dom.nodeType(root) === 9) on(root, "selectionchange", onSelection);
  };
  on(window, "resize", onResize);
  on(document, "visibilitychange", onVisibility);
  return {
    watch,
    stop() {
      for (const [t, type, fn] of bound) natives.unlisten(t, type, fn, { capture: true });
      bound.length = 0;
      for (const id of scrolls.values()) natives.clearTimeout(id);
      scrolls.clear();
      if (pointerTimer) natives.clearTimeout(pointerTimer);
      if (selTimer) natives.clearTimeout(selTimer);
    },
  };
}

/**
 * The document's text selection as [startId, startOffset, endId, endOffset], or null.
 * @param {import("./ids.js").NodeIds} ids
 * @returns {number[]|null}
 */
export function selectionRange(ids) {
  const sel = dom.getSelection();
  if (!sel || !sel.rangeCount || sel.isCollapsed) return null;
  const r = sel.getRangeAt(0);
  if (!ids.isLive(r.startContainer) || !ids.isLive(r.endContainer)) return null;
  return [ids.peek(r.startContainer), r.startOffset, ids.peek(r.endContainer), r.endOffset];
}
