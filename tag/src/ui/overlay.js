/**
 * The session's marks on the visitor's page, all drawn in the tag's shadow root: the
 * frame around the viewport with a small bar in its bottom-left corner (who sees what, a
 * toggle, pause/resume (issue 14), the X that ends the session; only the buttons take clicks, everything else
 * lets them through to the page, and the label folds away into a pill by itself after
 * LABEL_MS or with the toggle, so it never covers the page for long), the agent's labelled
 * pointer on the element it points at, the yellow ring of an agent click, the agent's
 * text selection, and the wiggle of an element (Web Animations: nothing is written into
 * the page's DOM, so capture does not echo it back).
 * @module ui/overlay
 */
import { MODE_WORDS } from "./chat.js";
import * as dom from "../dom.js";

const SVG = "http://www.w3.org/2000/svg";
/** How long the bar shows its full label before folding into a pill. */
const LABEL_MS = 12000;

/** The arrow, built with DOM calls (innerHTML would trip Trusted Types pages). */
function arrow() {
  const svg = dom.createElementNS(SVG, "svg");
  svg.setAttribute("width", "18");
  svg.setAttribute("height", "24");
  svg.setAttribute("viewBox", "0 0 18 24");
  const path = dom.createElementNS(SVG, "path");
  path.setAttribute("d", "M1 1l15 12-7 1 4 8-3 1-4-8-5 5z");
  path.setAttribute("fill", "#f29900");
  path.setAttribute("stroke", "#000");
  svg.appendChild(path);
  return svg;
}

/** @param {string} by */
const pausedWords = (by) => (by === "page" ? "Sharing paused on this page" : "Sharing paused: the agent sees nothing");

/**
 * Viewport coordinates of a point given as fractions inside an element, through
 * same-origin frames.
 * @param {Element} el
 * @param {number} fx
 * @param {number} fy
 * @returns {{x: number, y: number}}
 */
export function clientPoint(el, fx, fy) {
  const r = dom.rect(el);
  let x = r.left + fx * r.width;
  let y = r.top + fy * r.height;
  const doc = dom.ownerDocument(el);
  let win = doc && dom.defaultView(doc);
  try {
    while (win && win !== window && win.frameElement) {
      const f = win.frameElement;
      const fr = f.getBoundingClientRect();
      x += fr.left + f.clientLeft;
      y += fr.top + f.clientTop;
      win = dom.defaultView(/** @type {Document} */ (dom.ownerDocument(f)));
    }
  } catch (e) {
    /* cross-origin parent: stop adding offsets */
  }
  return { x, y };
}

/**
 * @param {{ui: import("./host.js").UiHost, natives: import("../natives.js").Natives, onClose: () => void,
 *   onClear: () => void, onDrop: () => void, onPause?: () => void, onResume?: () => void}} o
 *   onClear: the visitor's button that clears the agent's drawings; onDrop: take control back
 */
export function createOverlay(o) {
  const { ui, natives } = o;
  const frame = ui.el("div", { class: "frame", "data-testid": "cobrowse-frame", hidden: "" });
  const bar = ui.el("div", { class: "bar" });
  const toggle = ui.el("button", { class: "toggle", "data-testid": "cobrowse-frame-toggle", type: "button", "aria-expanded": "true" });
  const label = ui.el("span", { "data-testid": "cobrowse-mode" });
  // Colleagues of the agent who watch too (issue 15, item 2): always named on the bar.
  const watching = ui.el("span", { class: "watchers", "data-testid": "cobrowse-watchers", hidden: "" });
  const clearBtn = ui.el("button", { class: "clear", "data-testid": "cobrowse-annotations-clear", type: "button", hidden: "",
    "aria-label": "Clear the agent's drawings", title: "Clear the agent's drawings" }, "\u232b");
  const close = ui.el("button", { class: "x", "data-testid": "cobrowse-close", type: "button", "aria-label": "End co-browsing", title: "End co-browsing" }, "\u2715");
  // In shared mode: take control back (view only) without ending the session (issue 10).
  const drop = ui.el("button", { class: "drop", "data-testid": "cobrowse-drop-control", type: "button", "aria-label": "Stop the agent's control (view only)", title: "Stop control", hidden: "" }, "Stop control");
  const pause = ui.el("button", { class: "pause", "data-testid": "cobrowse-pause", type: "button", "aria-label": "Pause sharing", title: "Pause sharing" }, "\u275a\u275a");
  const resume = ui.el("button", { class: "resume", "data-testid": "cobrowse-resume", type: "button", "aria-label": "Resume sharing", title: "Resume sharing", hidden: "" }, "\u25b6");
  bar.append(toggle, label, watching, drop, pause, resume, clearBtn, close);
  natives.listen(pause, "click", () => o.onPause && o.onPause());
  natives.listen(resume, "click", () => o.onResume && o.onResume());
  /** What the label says when not paused (set by showFrame). */
  let sharing = "";
  /** "" sharing, "visitor" paused from the bar, "page" paused by the site on this page */
  let pausedBy = "";
  frame.appendChild(bar);
  const cursor = ui.el("div", { class: "cursor", "data-testid": "cobrowse-agent-cursor", hidden: "" });
  cursor.appendChild(arrow());
  const name = ui.el("span", { class: "name" });
  cursor.appendChild(name);
  const selLayer = ui.el("div", { "data-testid": "cobrowse-agent-selection" });
  ui.root.append(frame, selLayer, cursor);
  natives.listen(close, "click", () => o.onClose());
  natives.listen(clearBtn, "click", () => o.onClear());
  natives.listen(drop, "click", () => o.onDrop());
  let foldTimer = 0;
  /** Show the full label (or only the pill). @param {boolean} open */
  const expand = (open) => {
    if (foldTimer) natives.clearTimeout(foldTimer);
    foldTimer = 0;
    if (open) frame.classList.remove("folded");
    else frame.classList.add("folded");
    toggle.setAttribute("aria-expanded", String(open));
    toggle.setAttribute("aria-label", open ? "Hide co-browsing details" : "Show co-browsing details");
    toggle.setAttribute("title", open ? "Hide details" : "Co-browsing: " + label.textContent);
    toggle.textContent = open ? "\u2039" : "\u25cf";
  };
  natives.listen(toggle, "click", () => expand(frame.classList.contains("folded")));

  /** @type {{el: Element, x: number, y: number}|null} */
  let point = null;
  /** @type {Range|null} */
  let range = null;
  let raf = 0;

  const place = () => {
    raf = 0;
    if (point && dom.isConnected(point.el)) {
      const p = clientPoint(point.el, point.x, point.y);
      cursor.style.transform = `translate(${Math.round(p.x)}px,${Math.round(p.y)}px)`;
      cursor.removeAttribute("hidden");
    } else cursor.setAttribute("hidden", "");
    drawSelection();
  };
  const drawSelection = () => {
    selLayer.textContent = "";
    if (!range) return;
    const rects = range.getClientRects();
    for (let i = 0; i < rects.length && i < 200; i++) {
      const r = rects[i];
      const box = ui.el("div", { class: "sel" });
      box.style.cssText = `left:${r.left}px;top:${r.top}px;width:${r.width}px;height:${r.height}px`;
      selLayer.appendChild(box);
    }
  };
  const schedule = () => {
    if (!raf) raf = requestAnimationFrame(natives.guard(place));
  };
  natives.listen(window, "scroll", schedule, { capture: true, passive: true });
  natives.listen(window, "resize", schedule, { passive: true });

  return {
    /** @param {string} mode @param {string} [agent] */
    showFrame(mode, agent) {
      const what = MODE_WORDS[/** @type {"view"|"shared"} */ (mode)] || MODE_WORDS.view;
      sharing = `${agent || "The agent"} can ${what}`;
      label.textContent = pausedBy ? pausedWords(pausedBy) : sharing;
      frame.setAttribute("data-mode", mode);
      if (mode === "shared") drop.removeAttribute("hidden");
      else drop.setAttribute("hidden", "");
      frame.removeAttribute("hidden");
      name.textContent = agent || "Agent";
      expand(true); // new or changed: say it, then fold away
      foldTimer = natives.setTimeout(() => expand(false), LABEL_MS);
    },
    /**
     * The names of the agents watching besides the one the visitor invited.
     * @param {string[]} names
     */
    setWatchers(names) {
      const text = names.length ? `Also watching: ${names.join(", ")}` : "";
      if (text === watching.textContent) return; // every poll says it again: unfold on changes only
      watching.textContent = text;
      watching.toggleAttribute("hidden", !names.length);
      if (!names.length) return;
      expand(true); // say who joined, then fold away again
      foldTimer = natives.setTimeout(() => expand(false), LABEL_MS);
    },
    /**
     * Paused or sharing, as the bar shows it. On a page the site pauses on, there is no
     * Resume: sharing comes back when the visitor leaves the page.
     * @param {string} by "" | "visitor" | "page"
     */
    setPaused(by) {
      pausedBy = by;
      if (by) frame.setAttribute("data-paused", by);
      else frame.removeAttribute("data-paused");
      pause.toggleAttribute("hidden", !!by);
      resume.toggleAttribute("hidden", by !== "visitor");
      label.textContent = by ? pausedWords(by) : sharing;
      toggle.setAttribute("title", "Co-browsing: " + label.textContent);
    },
    hideFrame() {
      if (foldTimer) natives.clearTimeout(foldTimer);
      foldTimer = 0;
      frame.setAttribute("hidden", "");
      point = null;
      range = null;
      place();
    },
    /** @param {Element} el @param {number} x @param {number} y */
    pointer(el, x, y) {
      point = { el, x, y };
      schedule();
    },
    /** A yellow ring at the point. @param {Element} el @param {number} x @param {number} y */
    highlight(el, x, y) {
      point = { el, x, y };
      schedule();
      const p = clientPoint(el, x, y);
      const ring = ui.el("div", { class: "ring", "data-testid": "cobrowse-highlight" });
      ring.style.left = p.x + "px";
      ring.style.top = p.y + "px";
      ui.root.appendChild(ring);
      natives.setTimeout(() => ring.remove(), 1300);
    },
    /** @param {Element} el */
    wiggle(el) {
      dom.animate(
        el,
        [{ transform: "rotate(0)" }, { transform: "rotate(-3deg)" }, { transform: "rotate(3deg)" }, { transform: "rotate(-3deg)" }, { transform: "rotate(0)" }],
        { duration: 600, iterations: 1 },
      );
    },
    /** Show the bar's clear button while the agent's drawings show. @param {number} count */
    drawings(count) {
      if (count > 0) clearBtn.removeAttribute("hidden");
      else clearBtn.setAttribute("hidden", "");
    },
    /** @param {Range|null} r */
    selection(r) {
      range = r;
      schedule();
    },
  };
}
