/**
 * record(): everything that captures the page while a session is active: the full
 * snapshot, mutations, form state, CSSOM changes, canvas pixels and interaction events.
 * Like rrweb's record(), it returns the means to stop it.
 * @module capture
 */
import { createNodeIds } from "./ids.js";
import { watchCssom } from "./cssom.js";
import { canvasImage, serializeDocument } from "./serialize.js";
import { createMutationCapture } from "./mutations.js";
import { recordEvents } from "./events.js";
import { visibleFirst } from "./visible.js";
import * as dom from "./dom.js";

/** How often canvases, adopted sheet lists and form values are checked for changes. */
const TICK_MS = 1500;

/**
 * @typedef {Object} Recorder
 * @property {import("./ids.js").NodeIds} ids
 * @property {(whole?: boolean) => void} snapshot  send a fresh full snapshot (`whole`: in one piece, never visible first)
 * @property {(ms?: number) => void} quietScroll  do not report scrolls for a while (we are replaying the agent's)
 * @property {() => void} stop
 */

/**
 * @param {{natives: import("./natives.js").Natives, masker: import("./mask.js").Masker, exclude: Node|null,
 *   emit: (e: any, alone?: boolean) => void, implicitIds?: boolean,
 *   visible?: {oneShot?: number, fillChars?: number}}} opts  `alone`: the event goes in a send of its own
 * @returns {Recorder}
 */
export function record(opts) {
  const { natives, masker, emit } = opts;
  const ids = createNodeIds();
  let quietUntil = 0;
  /** @type {WeakSet<Element>} */
  const frames = new WeakSet();
  /** @type {Set<Document|ShadowRoot>} */
  const roots = new Set();
  /** @type {WeakMap<HTMLCanvasElement, string>} */
  const canvasSeen = new WeakMap();
  /** @type {WeakMap<Document|ShadowRoot, any[]>} */
  const adoptedSeen = new WeakMap();

  /** @type {import("./serialize.js").SerializeContext} */
  const ctx = {
    ids,
    masker,
    exclude: opts.exclude,
    dirtySheets: new WeakSet(),
    maskedNodes: new WeakSet(),
    softNodes: new WeakSet(),
    formSeen: new WeakMap(),
    implicit: !!opts.implicitIds,
    last: -1,
    onRoot(root, frame) {
      if (root && !roots.has(root)) {
        roots.add(root);
        mutations.observe(root);
        events.watch(root);
        adoptedSeen.set(root, Array.from(dom.adoptedOf(root) || []));
      }
      if (frame && !frames.has(frame)) {
        frames.add(frame);
        natives.listen(frame, "load", () => mutations.replace(frame));
      }
    },
  };
  const mutations = createMutationCapture(ctx, natives, (m) => emit({ k: "mutation", m }));
  const events = recordEvents({
    ids,
    natives,
    emit: (e) => {
      mutations.flush(); // keep DOM ops ahead of events that point into new nodes
      emit(e);
    },
    exclude: opts.exclude,
    quietScroll: () => natives.now() < quietUntil,
  });
  const unwatchCssom = watchCssom(
    (sheet) => mutations.sheetChanged(sheet),
    (root) => mutations.adoptedChanged(root),
  );

  const tick = () => {
    timer = natives.setTimeout(tick, TICK_MS); // first, so an error below cannot stop the ticks
    for (const root of roots) {
      if (!ids.isLive(root)) continue;
      const now = Array.from(dom.adoptedOf(root) || []);
      const before = adoptedSeen.get(root) || [];
      if (now.length !== before.length || now.some((s, i) => s !== before[i])) {
        adoptedSeen.set(root, now);
        mutations.adoptedChanged(root);
      }
      const canvases = dom.queryAll(root, "canvas");
      for (let i = 0; i < canvases.length; i++) {
        const c = /** @type {HTMLCanvasElement} */ (canvases[i]);
        if (!ids.isLive(c) || ctx.maskedNodes.has(c)) continue;
        const img = canvasImage(c);
        const prev = canvasSeen.get(c);
        canvasSeen.set(c, img);
        if (img && img !== prev) mutations.push({ o: "img", i: ids.peek(c), img });
      }
      mutations.checkForms(root); // values set by script fire no input event
    }
  };
  let timer = natives.setTimeout(tick, TICK_MS);

  return {
    ids,
    snapshot(whole = false) {
      mutations.discard();
      ids.reset();
      const doc = serializeDocument(document, ctx);
      const se = dom.scrollingElement() || dom.documentElement();
      const vw = window.innerWidth;
      const vh = window.innerHeight;
      const snap = {
        k: "snapshot",
        doc,
        url: location.href,
        title: masker.title(),
        vw,
        vh,
        sx: se ? dom.scrollLeft(se) : window.scrollX,
        sy: se ? dom.scrollTop(se) : window.scrollY,
      };
      // A big page: what the visitor sees first, the rest in fills (issue 16, item 3). Each
      // piece is a send of its own, so the first is applied before the rest is uploaded.
      const split = whole ? null : visibleFirst(doc, { nodeOf: ids.nodeOf, vw, vh, implicit: ctx.implicit === true, ...opts.visible });
      if (!split) return emit(snap);
      emit({ ...snap, doc: split.doc }, true);
      for (const m of split.fills) emit({ k: "mutation", m }, true);
    },
    quietScroll(ms = 400) {
      quietUntil = natives.now() + ms;
    },
    stop() {
      natives.clearTimeout(timer);
      mutations.flush();
      mutations.stop();
      events.stop();
      unwatchCssom();
      roots.clear();
      ids.reset();
    },
  };
}
