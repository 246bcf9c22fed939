/**
 * The engagement window: a launcher with an unread count, a chat panel (messages, input,
 * send, "reconnecting…" state) and the co-browse invitation card that says plainly what
 * the agent will be able to do. All text goes in with textContent, never as markup.
 * @module ui/chat
 */
import * as dom from "../dom.js";

/** What the agent can do in each mode, in the visitor's words. */
export const MODE_WORDS = Object.freeze({
  view: "see this tab",
  shared: "see this tab, click and fill in forms with you",
});

/** How many chat messages the tab remembers across pages. */
const KEEP = 100;

/**
 * The launcher's speech bubble as inline SVG built with DOM calls: an emoji would need an
 * emoji font (headless and minimal systems have none) and innerHTML trips Trusted Types.
 */
function bubbleIcon() {
  const NS = "http://www.w3.org/2000/svg";
  const svg = dom.createElementNS(NS, "svg");
  svg.setAttribute("viewBox", "0 0 24 24");
  svg.setAttribute("width", "26");
  svg.setAttribute("height", "26");
  svg.setAttribute("aria-hidden", "true");
  svg.setAttribute("focusable", "false");
  const path = dom.createElementNS(NS, "path");
  path.setAttribute("d", "M4 3h16a2 2 0 0 1 2 2v11a2 2 0 0 1-2 2H10l-5 4v-4H4a2 2 0 0 1-2-2V5a2 2 0 0 1 2-2z");
  path.setAttribute("fill", "#fff");
  svg.appendChild(path);
  return svg;
}

/**
 * @typedef {Object} ChatOptions
 * @property {import("./host.js").UiHost} ui
 * @property {import("../natives.js").Natives} natives
 * @property {import("../storage.js").TabStore} store
 * @property {(text: string) => void} onSend
 * @property {() => void} [onOpen] the visitor opened the chat
 * @property {(invitation: string) => void} onAccept
 * @property {(invitation: string) => void} onDecline
 * @property {() => Promise<string>} onCode  ask the server for a support code (issue 13)
 * @property {(request: string) => void} onControlAccept
 * @property {(request: string) => void} onControlDecline
 * @property {(join: string) => void} onJoinAccept a colleague may watch too (issue 15)
 * @property {(join: string) => void} onJoinDecline
 */

/**
 * @param {ChatOptions} o
 */
export function createChatWindow(o) {
  const { ui, natives, store } = o;
  const launcher = ui.el("button", { class: "launcher", "data-testid": "cobrowse-chat-open", "aria-label": "Chat with us", type: "button" });
  launcher.appendChild(bubbleIcon());
  const badge = ui.el("span", { class: "badge", "data-testid": "cobrowse-chat-unread", hidden: "" }, "0");
  launcher.appendChild(badge);
  const panel = ui.el("section", { class: "panel", "data-testid": "cobrowse-chat-panel", role: "dialog", "aria-label": "Chat", hidden: "" });
  const head = ui.el("div", { class: "head" });
  head.appendChild(ui.el("strong", {}, "Chat with us"));
  const close = ui.el("button", { "data-testid": "cobrowse-chat-close", "aria-label": "Minimize chat", type: "button" }, "\u2013");
  head.appendChild(close);
  const status = ui.el("div", { class: "status", "data-testid": "cobrowse-status", role: "status", hidden: "" }, "Reconnecting\u2026");
  const notice = ui.el("div", { class: "status", "data-testid": "cobrowse-notice", role: "status", hidden: "" });
  const list = ui.el("div", { class: "messages", "data-testid": "cobrowse-chat-messages", "aria-live": "polite" });
  const form = ui.el("form");
  const input = /** @type {HTMLInputElement} */ (ui.el("input", { "data-testid": "cobrowse-chat-input", "aria-label": "Message", placeholder: "Type a message", maxlength: "4000", autocomplete: "off" }));
  const send = ui.el("button", { "data-testid": "cobrowse-chat-send", type: "submit" }, "Send");
  form.append(input, send);
  // A support code to read out to an agent on the phone or in another chat (issue 13).
  const codeRow = ui.el("div", { class: "coderow" });
  const codeAsk = ui.el("button", { class: "secondary", "data-testid": "cobrowse-code-request", type: "button" }, "Get a code for the agent");
  const code = ui.el("span", { class: "code", "data-testid": "cobrowse-code", "aria-live": "polite", hidden: "" });
  codeRow.append(codeAsk, code);
  // Who sees this tab: the agent and every colleague watching (issue 15, item 2).
  const viewers = ui.el("div", { class: "status", "data-testid": "cobrowse-chat-watchers", role: "status", hidden: "" });
  panel.append(head, status, notice, viewers, list, form, codeRow);
  ui.root.append(panel, launcher);

  /** @type {Array<{from: string, agent?: string, text: string}>} */
  let log = store.get("chat") || [];
  let unread = store.get("unread") || 0;
  /** @type {HTMLElement|null} */
  let card = null;
  let cardId = "";
  /** The site's --no-ui: the brand drives everything through window.cobrowse. */
  let off = false;
  /** @type {HTMLElement|null} the agent's request for control (issue 10, item 5) */
  let askCard = null;
  let askId = "";
  /** @type {HTMLElement|null} a second agent's request to watch (issue 15, item 2) */
  let joinCard = null;
  let joinId = "";

  const isOpen = () => !panel.hasAttribute("hidden");
  const showUnread = () => {
    badge.textContent = String(unread);
    if (unread > 0) badge.removeAttribute("hidden");
    else badge.setAttribute("hidden", "");
  };
  /** @param {{from: string, agent?: string, text: string}} m */
  const render = (m) => {
    const div = ui.el("div", { class: "msg " + (m.from === "agent" ? "agent" : "visitor"), "data-testid": "cobrowse-chat-message", "data-from": m.from });
    if (m.from === "agent") div.appendChild(ui.el("span", { class: "who" }, m.agent || "Agent"));
    div.appendChild(dom.createTextNode(m.text));
    const first = [card, askCard, joinCard].find((c) => c && c.parentNode === list) || null;
    list.insertBefore(div, first);
    list.scrollTop = list.scrollHeight;
  };
  const setOpen = (/** @type {boolean} */ open) => {
    if (open && off) return;
    if (open) {
      panel.removeAttribute("hidden");
      unread = 0;
      store.set("unread", 0);
      showUnread();
      list.scrollTop = list.scrollHeight;
      if (o.onOpen) o.onOpen();
    } else panel.setAttribute("hidden", "");
    store.set("open", open);
  };

  /**
   * A card asking for consent, with Accept and Decline.
   * @param {{testid: string, mode: string, accept: string, decline: string, lead: string, detail?: string, onAccept: () => void, onDecline: () => void}} c
   */
  const consentCard = (c) => {
    const what = MODE_WORDS[/** @type {"view"|"shared"} */ (c.mode)] || MODE_WORDS.view;
    const el = ui.el("div", { class: "invite", "data-testid": c.testid, "data-mode": c.mode, role: "alertdialog" });
    el.appendChild(ui.el("p", {}, c.lead));
    el.appendChild(ui.el("p", {}, c.detail || `If you accept, the agent will be able to ${what}. Passwords and hidden fields are never shown.`));
    const row = ui.el("div", { class: "row" });
    const accept = ui.el("button", { "data-testid": c.accept, type: "button" }, "Accept");
    const decline = ui.el("button", { class: "secondary", "data-testid": c.decline, type: "button" }, "Decline");
    natives.listen(accept, "click", c.onAccept);
    natives.listen(decline, "click", c.onDecline);
    row.append(accept, decline);
    el.appendChild(row);
    list.appendChild(el);
    setOpen(true);
    return el;
  };

  natives.listen(launcher, "click", () => setOpen(!isOpen()));
  natives.listen(close, "click", () => setOpen(false));
  natives.listen(codeAsk, "click", () => {
    code.removeAttribute("hidden");
    code.textContent = "\u2026";
    o.onCode().then(
      (digits) => (code.textContent = digits.slice(0, 3) + " " + digits.slice(3)),
      (err) => (code.textContent = String((err && err.message) || err)),
    );
  });
  natives.listen(form, "submit", (e) => {
    e.preventDefault();
    const text = input.value.trim();
    if (!text) return;
    input.value = "";
    o.onSend(text.slice(0, 4000));
  });
  log.forEach(render);
  showUnread();
  if (store.get("open")) setOpen(true);

  return {
    /** A chat message delivered by the server (ours come back too). @param {{from: string, agent?: string, text: string}} m */
    addMessage(m) {
      const entry = { from: m.from, agent: m.agent, text: String(m.text) };
      log = log.concat([entry]).slice(-KEEP);
      store.set("chat", log);
      render(entry);
      if (m.from === "agent" && !isOpen()) {
        unread++;
        store.set("unread", unread);
        showUnread();
      }
    },
    /** Show the invitation card. @param {{invitation: string, mode: string, agent?: string}} inv */
    showInvite(inv) {
      if (cardId === inv.invitation) return;
      this.hideInvite();
      cardId = inv.invitation;
      const id = inv.invitation;
      card = consentCard({
        testid: "cobrowse-invite", mode: inv.mode, accept: "cobrowse-accept", decline: "cobrowse-decline",
        lead: `${inv.agent || "The agent"} invites you to browse this page together.`,
        onAccept: () => { this.hideInvite(); o.onAccept(id); },
        onDecline: () => { this.hideInvite(); o.onDecline(id); },
      });
    },
    /**
     * Ask the visitor again before the agent may click and type: the same words as a
     * shared invitation. @param {{request: string, agent?: string}} req
     */
    showControlRequest(req) {
      if (askId === req.request) return;
      this.hideControlRequest();
      askId = req.request;
      const id = req.request;
      askCard = consentCard({
        testid: "cobrowse-control-request", mode: "shared", accept: "cobrowse-control-accept",
        decline: "cobrowse-control-decline",
        lead: `${req.agent || "The agent"} asks to control this page with you.`,
        onAccept: () => { this.hideControlRequest(); o.onControlAccept(id); },
        onDecline: () => { this.hideControlRequest(); o.onControlDecline(id); },
      });
    },
    /**
     * A colleague of the agent asks to watch too: the visitor agrees first (issue 15, item 2).
     * @param {{join: string, agent?: string, owner?: string}} req
     */
    showJoinRequest(req) {
      if (joinId === req.join) return;
      this.hideJoinRequest();
      joinId = req.join;
      const id = req.join;
      joinCard = consentCard({
        testid: "cobrowse-join-request", mode: "view", accept: "cobrowse-join-accept",
        decline: "cobrowse-join-decline",
        lead: `${req.agent || "Another agent"}, a colleague of ${req.owner || "the agent"}, would also like to see this tab.`,
        detail: "If you accept, they will see this tab too. They will not be able to click, type or point. Passwords and hidden fields are never shown.",
        onAccept: () => { this.hideJoinRequest(); o.onJoinAccept(id); },
        onDecline: () => { this.hideJoinRequest(); o.onJoinDecline(id); },
      });
    },
    /** Remove the request to watch (answered, withdrawn). @param {string} [id] */
    hideJoinRequest(id) {
      if (!joinCard || (id && id !== joinId)) return;
      joinCard.remove();
      joinCard = null;
      joinId = "";
    },
    /**
     * Who sees this tab now, or nobody (null).
     * @param {{agent: string, watchers: string[]}|null} who
     */
    showViewers(who) {
      if (!who) {
        viewers.textContent = "";
        viewers.setAttribute("hidden", "");
        return;
      }
      const also = who.watchers.length ? `; also watching: ${who.watchers.join(", ")}` : "";
      viewers.textContent = `Seeing this tab: ${who.agent || "the agent"}${also}`;
      viewers.removeAttribute("hidden");
    },
    /** Remove the request card (answered, cancelled). @param {string} [id] */
    hideControlRequest(id) {
      if (!askCard || (id && id !== askId)) return;
      askCard.remove();
      askCard = null;
      askId = "";
    },
    /** Remove the invitation card (answered, cancelled, expired). @param {string} [id] */
    hideInvite(id) {
      if (!card || (id && id !== cardId)) return;
      card.remove();
      card = null;
      cardId = "";
    },
    /** @param {boolean} online */
    setOnline(online) {
      if (online) status.setAttribute("hidden", "");
      else status.removeAttribute("hidden");
    },
    /** A lasting note about the connection (a page too large to share...), or none. @param {string|null} text */
    notice(text) {
      notice.textContent = text || "";
      if (text) notice.removeAttribute("hidden");
      else notice.setAttribute("hidden", "");
    },
    open: () => setOpen(true),
    /** Show the built-in window, or not (the site's --no-ui). @param {boolean} on */
    setUi(on) {
      off = !on;
      if (off) {
        panel.setAttribute("hidden", "");
        launcher.setAttribute("hidden", "");
      } else launcher.removeAttribute("hidden");
    },
  };
}
