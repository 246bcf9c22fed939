/**
 * The visitor's side of a conversation and its co-browse session: the state machine fed
 * by the server's STATE and events, tying transport, capture, the engagement window and
 * replay together. The session lives in this tab's sessionStorage: the next tagged page
 * in the same tab resumes it (hello with the stored token) and sends a fresh snapshot.
 * @module session
 */
import { CAPTURE_KINDS, CONTROL_KINDS } from "./kinds.js";
import { createTransport } from "./transport.js";
import { createControlGuard, createMasker } from "./mask.js";
import { pausesOn, rulesFor, watchPath } from "./scope.js";
import { record } from "./capture.js";
import { replayControl } from "./replay.js";
import { createApi } from "./api.js";
import { createChatWindow } from "./ui/chat.js";
import { createOverlay } from "./ui/overlay.js";
import { createAnnotations } from "./ui/annotations.js";
import * as dom from "./dom.js";

const CAPTURE = new Set(CAPTURE_KINDS);
const CONTROL = new Set(CONTROL_KINDS);

/** @param {any} agent a name string or {name, display} */
const agentName = (agent) => (agent && typeof agent === "object" ? agent.display || agent.name : agent) || "";

/**
 * @param {{site: string, server: string, natives: import("./natives.js").Natives, ui: import("./ui/host.js").UiHost, store: import("./storage.js").TabStore, maxBody?: number}} o
 */
export function createSession(o) {
  const { natives, ui, store } = o;
  /** @type {{mask: string[], origins: string[], hold: number}} */
  let config = { mask: [], origins: [], hold: 25 };
  let masker = createMasker([]);
  let blocked = createControlGuard([]);
  /** @type {(() => void)|null} stops watching in-page navigation */
  let unwatch = null;
  /** @type {any} STATE from the server */
  let state = null;
  /** @type {{id: string, mode: string, agent: string, watchers?: string[]}|null} */
  let active = null;
  /** @type {import("./capture.js").Recorder|null} */
  let recorder = null;
  /** The "session was lost" notice is showing (cleared by the next session). */
  let lostNotice = false;
  /** The id of the session that ended last. @type {string | null} */
  let lastEnded = null;
  /** The visitor opened the chat on this page: the poll runs from then on. */
  let chatOpened = false;
  /** The transport exists (the chat window, made first, may open itself at once). */
  let started = false;

  const chat = createChatWindow({
    ui,
    natives,
    store,
    onSend: (text) => {
      transport.send({ k: "chat", text });
      awaken();
    },
    onOpen: () => awaken(),
    onAccept: (id) => transport.send({ k: "invite.accept", invitation: id }),
    onDecline: (id) => transport.send({ k: "invite.decline", invitation: id }),
    onCode: () => {
      awaken(); // a support code: an agent may invite from it, so poll from now on
      return bridge.api.supportCode();
    },
    onControlAccept: (id) => transport.send({ k: "mode.accept", request: id }),
    onControlDecline: (id) => transport.send({ k: "mode.decline", request: id }),
    onJoinAccept: (id) => transport.send({ k: "join.accept", join: id }),
    onJoinDecline: (id) => transport.send({ k: "join.decline", join: id }),
  });
  // The site's --no-ui as last seen in this tab: the next page does not flash our window.
  if (store.get("ui") === false) chat.setUi(false);
  // window.cobrowse for a brand's own messaging window (issue 13).
  const bridge = createApi({
    accept: (id) => transport.send({ k: "invite.accept", invitation: id }),
    decline: (id) => transport.send({ k: "invite.decline", invitation: id }),
    end: () => end(),
    // A visitor reference or a support code handed out means an invitation may come by
    // another way than our chat: poll from now on (the idle tag holds none, issue 16).
    request: (path) => {
      awaken();
      return transport.request(path);
    },
  });
  const overlay = createOverlay({
    ui,
    natives,
    onClose: () => end(),
    onClear: () => clearDrawings(),
    onDrop: () => dropControl(),
    onPause: () => {
      if (active) store.set("paused", active.id);
      restart();
    },
    onResume: () => {
      store.set("paused", undefined);
      restart();
    },
  });
  const drawings = createAnnotations({ ui, natives, onChange: (n) => overlay.drawings(n) });
  const transport = createTransport({
    server: o.server,
    site: o.site,
    natives,
    store,
    // A private site's title is page text (issue 14): hello reports it only once this tab
    // knows the site is not private.
    title: () => (store.get("private") === false ? dom.title() : ""),
    onHello(h) {
      config = { mask: [], origins: [], hold: 25, ...(h.config || {}) };
      applyRules();
      chat.setUi(/** @type {any} */ (config).ui !== false);
      store.set("ui", /** @type {any} */ (config).ui !== false);
      store.set("private", /** @type {any} */ (config).private === true);
      if (active) restart(); // a re-hello (expired token) with a new config
    },
    onState,
    onEvents: (events) => events.forEach((ev) => natives.guard(onEvent)(ev)),
    onStatus: (online) => chat.setOnline(online),
    wanted,
    inSession: () => !!active,
    onGiveUp: (events) => tooLarge(events),
    // The server refused a piece of a visible-first snapshot (it disagrees with the tag on
    // a shell): the rest of that page is moot; send the page again, whole.
    onPieceRefused: () => {
      if (!recorder) return;
      transport.prune((ev) => CAPTURE.has(ev.k));
      recorder.snapshot(true);
    },
    onBlocked: (blocked) => chat.notice(blocked ? "The chat cannot reach its server (blocked, or its settings changed). Retrying\u2026" : null),
    cap: o.maxBody,
  });
  started = true;

  /** Anything to receive? An idle tag (no conversation, invitation or session) holds no poll. */
  function wanted() {
    if (chatOpened || active) return true;
    const s = state || {};
    return !!(s.session || s.invitation || (s.conversation && s.conversation.status !== "closed"));
  }
  function awaken() {
    chatOpened = true;
    if (started) transport.activate();
  }

  /**
   * A snapshot no split got through (a proxy refuses even small bodies, or blocks them):
   * tell the visitor, and the agent with a small page that says so, instead of retrying.
   * @param {any[]} events
   */
  function tooLarge(events) {
    const snap = events.find((ev) => ev.k === "snapshot");
    chat.notice("This page is too large to share over your network; the agent has been told.");
    if (!snap || !active) return;
    const note = "This page is too large to share over the visitor's network.";
    transport.send({
      k: "snapshot", url: snap.url, title: snap.title, vw: snap.vw, vh: snap.vh, sx: 0, sy: 0,
      doc: { i: 1, t: 9, c: [{ i: 2, t: 1, n: "html", c: [{ i: 3, t: 1, n: "body", c: [{ i: 4, t: 1, n: "p", c: [{ i: 5, t: 3, x: note }] }] }] }] },
    });
  }

  /** @param {{id: string, mode: string, agent: any}} s */
  function begin(s) {
    finish();
    active = { id: s.id, mode: s.mode, agent: agentName(s.agent) };
    if (lostNotice) chat.notice(null);
    lostNotice = false;
    store.set("session", s.id);
    transport.follow("s_" + s.id);
    overlay.showFrame(active.mode, active.agent);
    chat.hideInvite();
    if (!unwatch) unwatch = watchPath(natives, () => restart()); // new page, new rules
    restart();
    bridge.emit("session.started", { session: active.id, mode: active.mode, agent: active.agent });
  }
  /** The site's rules for the page the tag is on now (issue 14: rules scoped to pages). */
  function applyRules() {
    const c = /** @type {any} */ (config);
    const path = location.pathname;
    masker = createMasker(rulesFor(c.mask, path), { private: c.private, unmask: rulesFor(c.unmask, path) });
    blocked = createControlGuard(rulesFor(c.no_control, path));
  }
  /** Why sharing is paused now: "page" (a --pause page), "visitor" (the bar), or "". */
  function pauseReason() {
    if (pausesOn(/** @type {any} */ (config).pause, location.pathname)) return "page";
    return active && store.get("paused") === active.id ? "visitor" : "";
  }
  /**
   * (Re)start capturing the page under the rules of the page, or stay paused: then nothing
   * of the page is captured or sent (issue 14), only the pause itself. The server learns each
   * change once ("pauseSent" lives in the tab, across the tab's pages).
   */
  function restart() {
    if (recorder) recorder.stop();
    recorder = null;
    transport.prune((ev) => CAPTURE.has(ev.k));
    if (!active) return;
    applyRules();
    const why = pauseReason();
    overlay.setPaused(why);
    const sent = store.get("pauseSent");
    const told = sent && sent.s === active.id ? sent.by : "";
    if (why) {
      if (told !== why) transport.send({ k: "session.pause", by: why });
      store.set("pauseSent", { s: active.id, by: why });
      return;
    }
    if (told) transport.send({ k: "session.resume" });
    store.set("pauseSent", undefined);
    recorder = record({
      natives,
      masker,
      exclude: ui.host,
      emit: (ev, alone) => transport.send(ev, alone),
      implicitIds: /** @type {any} */ (config).implicit_ids === true,
    });
    recorder.snapshot();
  }
  /** @param {string} [reason] */
  function finish(reason) {
    if (recorder) recorder.stop();
    recorder = null;
    if (unwatch) unwatch();
    unwatch = null;
    if (!active) return;
    const ended = active.id;
    lastEnded = ended;
    active = null;
    bridge.emit("session.ended", { session: ended, reason: reason || "" });
    store.set("session", undefined);
    store.set("paused", undefined);
    store.set("pauseSent", undefined);
    overlay.setPaused("");
    transport.prune((ev) => CAPTURE.has(ev.k));
    transport.follow(null);
    drawings.clear();
    overlay.hideFrame();
    overlay.setWatchers([]);
    chat.showViewers(null);
    chat.hideJoinRequest();
  }
  /** The visitor's clear button: the drawings go here, and in the agent's replica too. */
  function clearDrawings() {
    drawings.clear();
    if (active) transport.send({ k: "annotate.clear" });
  }
  /** The visitor's X: end at once, tell the server. */
  function end() {
    if (!active) return;
    finish("visitor");
    transport.send({ k: "session.end" });
  }

  /** The visitor takes control back: view only at once here, and on the server. */
  function dropControl() {
    if (!active || active.mode !== "shared") return;
    active.mode = "view";
    overlay.showFrame(active.mode, active.agent);
    transport.send({ k: "mode.drop" });
  }

  /** Names of the agents watching too (issue 15, item 2); null: no session. @param {string[]|null} names */
  function showWatchers(names) {
    const list = (names || []).map(String);
    if (active) active.watchers = list;
    overlay.setWatchers(list);
    chat.showViewers(active && names ? { agent: active.agent, watchers: list } : null);
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
      bridge.emit("session.mode", { session: active.id, mode: active.mode });
    }
    if (sess && sess.request && sess.mode === "view") chat.showControlRequest({ request: sess.request, agent: agentName(sess.agent) });
    else chat.hideControlRequest();
    if (sess && sess.join) chat.showJoinRequest({ join: sess.join.id, agent: sess.join.agent, owner: sess.join.owner });
    else chat.hideJoinRequest();
    showWatchers(sess ? sess.watchers || [] : null);
    if (s.invitation && !sess) chat.showInvite({ invitation: s.invitation.id, mode: s.invitation.mode, agent: agentName(s.invitation.agent) });
    else chat.hideInvite();
    bridge.state(s);
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
          bridge.invite({ invitation: ev.invitation, mode: ev.mode, agent: agentName(ev.agent) });
        }
        return;
      case "invite.state":
        chat.hideInvite(ev.invitation);
        return;
      case "session.started":
        if (state && state.session && state.session.id === ev.session && !active) begin(state.session);
        return;
      case "session.mode":
        if (active && ev.session === active.id && ev.mode !== active.mode) {
          active.mode = ev.mode;
          overlay.showFrame(active.mode, active.agent);
          bridge.emit("session.mode", { session: active.id, mode: active.mode });
        }
        return;
      case "session.ended":
        if (active && (!ev.session || ev.session === active.id)) finish(ev.reason);
        // The server lost the session (its storage restarted empty): say so, rather than
        // leave the visitor wondering where the frame went. (The STATE of the same answer,
        // read first, may have ended it already.)
        if (ev.reason === "lost" && ev.session && ev.session === lastEnded && !active) {
          lostNotice = true;
          chat.notice("The co-browse session was interrupted by a server problem and has ended. You can ask the agent to start it again.");
        }
        chat.hideControlRequest();
        return;
      case "mode.request":
        if (active && ev.session === active.id) chat.showControlRequest({ request: ev.request, agent: agentName(ev.agent) });
        return;
      case "mode.state":
        chat.hideControlRequest(ev.request);
        return;
      case "join.request": {
        // One card at a time: a second ask waits until the STATE names it (after the first).
        const shown = state && state.session && state.session.join;
        if (active && ev.session === active.id && (!shown || shown.id === ev.join)) chat.showJoinRequest({ join: ev.join, agent: ev.agent, owner: ev.owner });
        return;
      }
      case "join.state":
        chat.hideJoinRequest(ev.join);
        return;
      case "session.watchers":
        if (active && ev.session === active.id) showWatchers(ev.watchers || []);
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
    else if (ev.k === "annotate") drawings.apply(ev, (id) => rec.ids.nodeOf(id));
    else if (ev.k === "annotate.clear") drawings.clear();
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
        isBlocked: (e) => blocked(e),
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
  bridge.expose();

  return {
    stop() {
      finish();
      transport.stop();
      bridge.remove();
    },
    /** For tests and QA: what the tag believes. */
    info: () => ({ state, session: active, config, pending: transport.pending(), uploading: transport.uploading() }),
    /** For tests: send a fresh snapshot now. */
    snapshot: () => recorder && recorder.snapshot(),
    /** Hello again, then a fresh snapshot if a session is active (a copy of this tab used our token). */
    resync: () => transport.resync(),
  };
}
