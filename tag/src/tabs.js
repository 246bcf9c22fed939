/**
 * One session, one tab. sessionStorage is per tab, but Chrome's "Duplicate tab" (and a
 * window.open that keeps its opener) copies it into the new tab, token and all: without
 * care the copy would resume the same visitor and join the co-browse session. So, on a
 * BroadcastChannel per site, a starting tab that found a stored token asks "who has
 * token X?"; a live tab holding X answers, and the asker drops the copied state and starts
 * as a new visitor. Two tabs asking at once settle it by their random nonces (the smaller
 * keeps the token). An answer that comes after the wait (the other tab was busy or frozen)
 * still counts: `onLateDuplicate` then restarts this tab as a new visitor, and tells the
 * other tab, which says hello again (the copy used its sequence numbers) and sends the
 * agent a fresh snapshot (the copy may have sent its own page in the meantime). Without BroadcastChannel the check is skipped.
 * @module tabs
 */

/** How long a starting tab waits for an answer before it takes the token as its own. */
export const ASK_MS = 400;

/**
 * @typedef {Object} TabGuard
 * @property {(token: string|undefined) => Promise<boolean>} check  resolves true when another live tab holds the token
 * @property {() => void} stop
 */

/**
 * @param {string} site
 * @param {import("./natives.js").Natives} natives
 * @param {() => string|undefined} currentToken  the token this tab holds now
 * @param {() => void} onLateDuplicate  another tab answered after the wait: we are the copy
 * @param {() => void} onCopyUsed  a copy of this tab used our token for a while
 * @returns {TabGuard}
 */
export function createTabGuard(site, natives, currentToken, onLateDuplicate, onCopyUsed) {
  const name = "cobrowse-tabs:" + site;
  /** @type {BroadcastChannel|null} */
  let channel = null;
  /** @type {{token: string, nonce: number, answer: (dup: boolean) => void}|null} */
  let asking = null;
  /** The last question, answered by nobody in time. @type {{token: string, nonce: number}|null} */
  let asked = null;

  /** @param {MessageEvent} e */
  const onMessage = (e) => {
    const m = e.data;
    if (!m || typeof m !== "object" || typeof m.token !== "string") return;
    if (m.q === "who") {
      if (asking && asking.token === m.token) {
        // Both tabs are starting with the same token: the larger nonce yields.
        if (asking.nonce > m.nonce) asking.answer(true);
        return;
      }
      if (!asking && m.token === currentToken()) post({ a: "mine", token: m.token, nonce: m.nonce });
    } else if (m.a === "mine" && asking && asking.token === m.token && asking.nonce === m.nonce) {
      asking.answer(true);
    } else if (m.a === "mine" && asked && asked.token === m.token && asked.nonce === m.nonce) {
      asked = null;
      if (m.token !== currentToken()) return;
      post({ a: "used", token: m.token });
      onLateDuplicate();
    } else if (m.a === "used" && !asking && m.token === currentToken()) {
      onCopyUsed();
    }
  };
  /** @param {any} m */
  const post = (m) => {
    try {
      if (channel) channel.postMessage(m);
    } catch (e) {
      /* closed: nothing to tell */
    }
  };
  const open = () => {
    if (channel || typeof BroadcastChannel !== "function") return;
    try {
      channel = new BroadcastChannel(name);
      natives.listen(channel, "message", /** @type {any} */ (onMessage));
    } catch (e) {
      channel = null;
    }
  };
  const close = () => {
    if (!channel) return;
    natives.unlisten(channel, "message", /** @type {any} */ (onMessage));
    channel.close();
    channel = null;
  };
  open();
  // A page leaving (or entering the back/forward cache) must not answer for the tab's
  // next page; it answers again if it is restored.
  natives.listen(window, "pagehide", close);
  natives.listen(window, "pageshow", open);

  return {
    check(token) {
      if (!token || !channel) return Promise.resolve(false);
      return new Promise((resolve) => {
        const mine = {
          token,
          nonce: natives.random(),
          /** @param {boolean} dup */
          answer(dup) {
            if (asking !== mine) return;
            asking = null;
            asked = dup ? null : { token, nonce: mine.nonce };
            natives.clearTimeout(timer);
            resolve(dup);
          },
        };
        asking = mine;
        const timer = natives.setTimeout(() => mine.answer(false), ASK_MS);
        post({ q: "who", token, nonce: mine.nonce });
      });
    },
    stop() {
      natives.unlisten(window, "pagehide", close);
      natives.unlisten(window, "pageshow", open);
      close();
    },
  };
}
