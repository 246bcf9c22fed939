/**
 * The visitor's side of a conversation and its co-browse session: the state machine fed
 * by the server's STATE and events, tying transport, capture, the engagement window and
 * replay together. The session lives in this tab's sessionStorage: the next tagged page
 * in the same tab resumes it (hello with the stored token) and sends a fresh snapshot.
 * @module session
 */
import { CAPTURE_KINDS, CONTROL_KINDS } from "./kinds.js";
import { createTransport } from "./transport.js";
import { createMasker } from "./mask.js";
import { record } from "./capture.js";
import { replayControl } from "./replay.js";
import { createChatWindow } from "./ui/chat.js";
import { createOverlay } from "./ui/overlay.js";
import * as dom from "./dom.js";

const CAPTURE = new Set(CAPTURE_KINDS);
const CONTROL = new Set(CONTROL_KINDS);

/** @param {any} agent a name string or {name, display} */
const agentName = (agent) => (agent && typeof agent === "object" ? agent.display || agent.name : agent) || "";

/**
 * @param {{site: string, server: string, natives: import("./natives.js").Natives, ui: import("./ui/host.js").UiHost, store: import("./storage.js").TabStore}} o
 */
export function createSession(o) {
  const { natives, ui, store } = o;
  /** @type {{mask: string[], origins: string[], hold: number}} */
  let config = { mask: [], origins: [], hold: 25 };
  let masker = createMasker([]);
  /** @type {any} STATE from the server */
  let state = null;
  /** @type {{id: string, mode: string, agent: string}|null} */
  let active = null;
  /** @type {import("./capture.js").Recorder|null} */
  let recorder = null;

  const chat = createChatWindow({
    ui,
    natives,
    store,
    onSend: (text) => transport.send({ k: "chat", text }),
    onAccept: (id) => transport.send({ k: "invite.accept", invitation: id }),
    onDecline: (id) => transport.send({ k: "invite.decline", invitation: id }),
    onControlAccept: (id) => transport.send({ k: "mode.accept", request: id }),
    onControlDecline: (id) => transport.send({ k: "mode.decline", request: id }),
  });
  const overlay = createOverlay({ ui, natives, onClose: () => end(), onDrop: () => dropControl() });
  const transport = createTransport({
    server: o.server,
    site: o.site,
    natives,
    store,
    onHello(h) {
      config = { mask: [], origins: [], hold: 25, ...(h.config || {}) };
      masker = createMasker(config.mask);
      if (recorder) restart(); // a re-hello (expired token) with a new config
    },
    onState,
    onEvents: (events) => events.forEach((ev) => natives.guard(onEvent)(ev)),
    onStatus: (online) => chat.setOnline(online),
  });

  /** @param {{id: string, mode: string, agent: any}} s */
  function begin(s) {
    finish();
    active = { id: s.id, mode: s.mode, agent: agentName(s.agent) };
    store.set("session", s.id);
    transport.follow("s_" + s.id);
    overlay.showFrame(active.mode, active.agent);
    chat.hideInvite();
    restart();
  }
  function restart() {
    if (recorder) recorder.stop();
    transport.prune((ev) => CAPTURE.has(ev.k));
    recorder = record({
      natives,
      masker,
      exclude: ui.host,
      emit: (ev) => transport.send(ev),
      implicitIds: /** @type {any} */ (config).implicit_ids === true,
    });
    recorder.snapshot();
  }
  function finish() {
    if (recorder) recorder.stop();
    recorder = null;
    if (!active) return;
    active = null;
    store.set("session", undefined);
    transport.prune((ev) => CAPTURE.has(ev.k));
    transport.follow(null);
    overlay.hideFrame();
  }
  /** The visitor's X: end at once, tell the server. */
  function end() {
    if (!active) return;
    finish();
    transport.send({ k: "session.end" });
  }

  /** The visitor takes control back: view only at once here, and on the server. */
  function dropControl() {
    if (!active || active.mode !== "shared") return;
    active.mode = "view";
    overlay.showFrame(active.mode, active.agent);
    transport.send({ k: "mode.drop" });
  }

  /** @param {any} s STATE */
  function onState(s) {
    if (!s || typeof s !== "object") return;
    state = s;
    const sess = s.session;
    if (sess && (!active || active.id !== sess.id)) begin(sess);
    else if (!sess && active) finish();
    else if (sess && active && sess.mode !== active.mode) {
      active.mode = sess.mode;
      overlay.showFrame(active.mode, active.agent);
    }
    if (sess && sess.request && sess.mode === "view") chat.showControlRequest({ request: sess.request, agent: agentName(sess.agent) });
    else chat.hideControlRequest();
    if (s.invitation && !sess) chat.showInvite({ invitation: s.invitation.id, mode: s.invitation.mode, agent: agentName(s.invitation.agent) });
    else chat.hideInvite();
  }

  /** @param {any} ev */
  function onEvent(ev) {
    switch (ev.k) {
      case "chat":
        chat.addMessage({ from: ev.from, agent: agentName(ev.agent), text: ev.text });
        return;
      case "invite":
        if (!state || (state.invitation && state.invitation.id === ev.invitation)) {
          chat.showInvite({ invitation: ev.invitation, mode: ev.mode, agent: agentName(ev.agent) });
        }
        return;
      case "invite.state":
        chat.hideInvite(ev.invitation);
        return;
      case "session.started":
        if (state && state.session && state.session.id === ev.session && !active) begin(state.session);
        return;
      case "session.mode":
        if (active && ev.session === active.id) {
          active.mode = ev.mode;
          overlay.showFrame(active.mode, active.agent);
        }
        return;
      case "session.ended":
        if (active && (!ev.session || ev.session === active.id)) finish();
        chat.hideControlRequest();
        return;
      case "mode.request":
        if (active && ev.session === active.id) chat.showControlRequest({ request: ev.request, agent: agentName(ev.agent) });
        return;
      case "mode.state":
        chat.hideControlRequest(ev.request);
        return;
    }
    if (active && recorder) agentEvent(ev, active, recorder);
  }

  /**
   * The agent's session events: pointer, highlight, wiggle, selection, scroll, control.
   * @param {any} ev @param {{id: string, mode: string, agent: string}} s @param {import("./capture.js").Recorder} rec
   */
  function agentEvent(ev, s, rec) {
    const el = /** @type {any} */ (typeof ev.i === "number" ? rec.ids.nodeOf(ev.i) : null);
    const type = el ? dom.nodeType(el) : 0;
    if (ev.k === "snapshot.request") rec.snapshot();
    else if (ev.k === "pointer" && type === 1) overlay.pointer(el, ev.x, ev.y);
    else if (ev.k === "highlight" && type === 1) overlay.highlight(el, ev.x, ev.y);
    else if (ev.k === "wiggle" && type === 1) overlay.wiggle(el);
    else if (ev.k === "selection") overlay.selection(rangeOf(ev.r, rec));
    else if (ev.k === "scroll" && el) {
      rec.quietScroll();
      // "instant": a page with scroll-behavior: smooth would otherwise animate every step
      // of the agent's scrolling, lagging behind and echoing intermediate positions.
      const to = { left: ev.x, top: ev.y, behavior: /** @type {ScrollBehavior} */ ("instant") };
      if (type === 9) (dom.defaultView(el) || window).scrollTo(to);
      else if (type === 1) dom.scrollElementTo(el, to);
    } else if (CONTROL.has(ev.k)) {
      const why = replayControl(ev, s.mode, {
        nodeOf: (id) => rec.ids.nodeOf(id),
        isMasked: (e) => masker.isMasked(e),
        origins: config.origins || [],
      });
      if (why) console.warn("[cobrowse] agent action refused:", ev.k, why);
    }
  }

  /** @param {any} r @param {import("./capture.js").Recorder} rec */
  function rangeOf(r, rec) {
    if (!Array.isArray(r)) return null;
    const a = rec.ids.nodeOf(r[0]);
    const b = rec.ids.nodeOf(r[2]);
    if (!a || !b) return null;
    try {
      const range = dom.createRange(dom.ownerDocument(a) || document);
      range.setStart(a, r[1]);
      range.setEnd(b, r[3]);
      return range;
    } catch (e) {
      return null;
    }
  }

  natives.listen(window, "online", () => transport.wake());
  natives.listen(window, "pagehide", () => {
    if (recorder) recorder.stop();
    if (active) transport.beacon({ k: "page", state: "leave" });
  });
  natives.listen(window, "pageshow", (/** @type {any} */ e) => {
    if (e.persisted && active) restart(); // back from the bfcache: the agent needs the page again
  });
  transport.start();

  return {
    stop() {
      finish();
      transport.stop();
    },
    /** For tests and QA: what the tag believes. */
    info: () => ({ state, session: active, config, pending: transport.pending() }),
    /** For tests: send a fresh snapshot now. */
    snapshot: () => recorder && recorder.snapshot(),
    /** Hello again, then a fresh snapshot if a session is active (a copy of this tab used our token). */
    resync: () => transport.resync(),
  };
}
