/**
 * The agent's drawings on the visitor's page (issue 15): freehand ink, arrows and
 * rectangles, drawn in the tag's own shadow root (an SVG layer over the viewport that takes
 * no clicks), never in the page's DOM, so capture does not echo them back.
 *
 * Every point is anchored like the agent's pointer: (element, fraction across, fraction
 * down). Each frame the points are placed again from their elements' boxes, so a stroke stays
 * on the same content whatever the two window sizes, the zoom and the scroll positions are.
 * A finished stroke fades after FADE_MS unless it was pinned; the visitor clears them all
 * with the button on the frame's bar.
 * @module ui/annotations
 */
import { clientPoint } from "./overlay.js";
import * as dom from "../dom.js";

const SVG = "http://www.w3.org/2000/svg";
/** How long a finished, unpinned stroke stays before it fades. */
export const FADE_MS = 4000;
/** The fade itself (CSS transition), then the stroke is removed. */
const FADE_OUT_MS = 700;
/** Bounds on what one session can make the tag hold (the server bounds each event). */
const MAX_STROKES = 100;
const MAX_POINTS = 4000;
/** While strokes show, placed again this often too: the page may move without scrolling. */
const REPLACE_MS = 400;
const COLOR = "#d93025";

/**
 * @typedef {{el: Element, x: number, y: number}} Anchor
 * @typedef {{tool: string, points: Anchor[], pin: boolean, node: SVGElement, timer: number}} Stroke
 */

/**
 * @param {{ui: import("./host.js").UiHost, natives: import("../natives.js").Natives,
 *   onChange: (count: number) => void}} o onChange: how many strokes show now
 */
export function createAnnotations(o) {
  const { ui, natives } = o;
  const layer = /** @type {SVGSVGElement} */ (dom.createElementNS(SVG, "svg"));
  layer.setAttribute("class", "annotations");
  layer.setAttribute("data-testid", "cobrowse-annotations");
  layer.setAttribute("aria-hidden", "true");
  ui.root.appendChild(layer);
  /** @type {Map<number, Stroke>} */
  const strokes = new Map();
  let raf = 0;
  let ticker = 0;

  const changed = () => {
    o.onChange(strokes.size);
    if (strokes.size && !ticker) tick();
  };
  const tick = () => {
    ticker = 0;
    if (!strokes.size) return;
    schedule();
    ticker = natives.setTimeout(natives.guard(tick), REPLACE_MS);
  };
  const schedule = () => {
    if (!raf) raf = requestAnimationFrame(natives.guard(draw));
  };

  /** @param {number} id */
  const remove = (id) => {
    const s = strokes.get(id);
    if (!s) return;
    if (s.timer) natives.clearTimeout(s.timer);
    s.node.remove();
    strokes.delete(id);
    changed();
  };

  /** @param {number} id @param {Stroke} s @param {number} after */
  const fadeLater = (id, s, after) => {
    if (s.timer) natives.clearTimeout(s.timer);
    s.timer = natives.setTimeout(natives.guard(() => {
      s.node.setAttribute("data-fading", "");
      s.timer = natives.setTimeout(natives.guard(() => remove(id)), FADE_OUT_MS);
    }), after);
  };

  /** @param {string} tool */
  const shape = (tool) => {
    const node = /** @type {SVGElement} */ (dom.createElementNS(SVG, tool === "pen" ? "polyline" : tool === "rect" ? "rect" : "g"));
    if (tool === "arrow") {
      node.appendChild(dom.createElementNS(SVG, "line"));
      node.appendChild(dom.createElementNS(SVG, "polygon"));
    }
    node.setAttribute("class", "stroke");
    node.setAttribute("data-testid", "cobrowse-annotation");
    node.setAttribute("data-tool", tool);
    node.setAttribute("stroke", COLOR);
    node.setAttribute("fill", tool === "arrow" ? COLOR : "none");
    return node;
  };

  /** Place every stroke from its anchors' current boxes. */
  const draw = () => {
    raf = 0;
    strokes.forEach((s) => {
      const pts = [];
      for (const a of s.points) if (dom.isConnected(a.el)) pts.push(clientPoint(a.el, a.x, a.y));
      render(s, pts);
    });
  };

  /** @param {Stroke} s @param {{x: number, y: number}[]} pts */
  const render = (s, pts) => {
    const n = s.node;
    const fmt = (/** @type {number} */ v) => String(Math.round(v * 10) / 10);
    n.toggleAttribute("data-offscreen", pts.length === 0);
    if (s.tool === "pen") {
      n.setAttribute("points", pts.map((p) => `${fmt(p.x)},${fmt(p.y)}`).join(" "));
      return;
    }
    if (pts.length < 2) return;
    const [a, b] = pts;
    if (s.tool === "rect") {
      n.setAttribute("x", fmt(Math.min(a.x, b.x)));
      n.setAttribute("y", fmt(Math.min(a.y, b.y)));
      n.setAttribute("width", fmt(Math.abs(b.x - a.x)));
      n.setAttribute("height", fmt(Math.abs(b.y - a.y)));
      return;
    }
    const line = /** @type {Element} */ (n.firstChild);
    line.setAttribute("x1", fmt(a.x));
    line.setAttribute("y1", fmt(a.y));
    line.setAttribute("x2", fmt(b.x));
    line.setAttribute("y2", fmt(b.y));
    // The head: a triangle at the end, pointing along the line.
    const ang = Math.atan2(b.y - a.y, b.x - a.x);
    const at = (/** @type {number} */ d, /** @type {number} */ len) => `${fmt(b.x - len * Math.cos(ang + d))},${fmt(b.y - len * Math.sin(ang + d))}`;
    /** @type {Element} */ (n.lastChild).setAttribute("points", `${fmt(b.x)},${fmt(b.y)} ${at(0.45, 16)} ${at(-0.45, 16)}`);
  };

  const onScroll = () => {
    if (strokes.size) schedule();
  };
  natives.listen(window, "scroll", onScroll, { capture: true, passive: true });
  natives.listen(window, "resize", onScroll, { passive: true });

  return {
    /**
     * One `annotate` event from the agent (checked by the server; checked again here).
     * @param {any} ev
     * @param {(id: number) => Node|null} nodeOf
     */
    apply(ev, nodeOf) {
      if (!Array.isArray(ev.p) || typeof ev.a !== "number" || !["pen", "arrow", "rect"].includes(ev.tool)) return;
      /** @type {Anchor[]} */
      const points = [];
      for (const p of ev.p) {
        if (!Array.isArray(p) || p.length !== 3) continue;
        const el = typeof p[0] === "number" ? nodeOf(p[0]) : null;
        const fx = Number(p[1]);
        const fy = Number(p[2]);
        if (!el || dom.nodeType(el) !== 1 || !(fx >= 0 && fx <= 1 && fy >= 0 && fy <= 1)) continue;
        points.push({ el: /** @type {Element} */ (el), x: fx, y: fy });
      }
      let s = strokes.get(ev.a);
      if (!s) {
        if (!points.length) return;
        while (strokes.size >= MAX_STROKES) remove(/** @type {number} */ (strokes.keys().next().value));
        s = { tool: ev.tool, points: [], pin: false, node: shape(ev.tool), timer: 0 };
        s.node.setAttribute("data-stroke", String(ev.a));
        strokes.set(ev.a, s);
        layer.appendChild(s.node);
      }
      if (s.tool === "pen") s.points.push(...points.slice(0, Math.max(0, MAX_POINTS - s.points.length)));
      else if (points.length === 2) s.points = points;
      s.pin = ev.pin === true;
      s.node.toggleAttribute("data-pinned", s.pin);
      // Unpinned: fade FADE_MS after the end; a stroke whose end never comes (the agent's tab
      // closed mid-stroke) fades a while after its last point anyway.
      if (!s.pin) fadeLater(ev.a, s, ev.end === true ? FADE_MS : 3 * FADE_MS);
      else if (s.timer) {
        natives.clearTimeout(s.timer);
        s.timer = 0;
      }
      changed();
      schedule();
    },
    /** Remove every stroke (the visitor's button, the agent's clear, the session's end). */
    clear() {
      [...strokes.keys()].forEach(remove);
    },
    count: () => strokes.size,
  };
}
