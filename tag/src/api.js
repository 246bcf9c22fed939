/**
 * The tag's JavaScript API (issue 13), for a brand that keeps its own messaging window:
 *
 *   window.cobrowse.on("invite", ({invitation, mode, agent}) => ...)
 *   window.cobrowse.accept(invitation) / .decline(invitation) / .end()
 *   window.cobrowse.supportCode().then((code) => ...)   // six digits to read out
 *   window.cobrowse.visitorRef().then((ref) => ...)     // for the brand's own server
 *
 * Events: "invite", "session.started", "session.mode", "session.ended", "state". A
 * "cobrowse:ready" event on window says when window.cobrowse exists. Listeners get plain
 * copies, never our objects, and a listener that throws cannot break the tag. Nothing here
 * carries page content. The frame with its X always shows during a session, whatever the
 * brand does (overlay.js): the API cannot hide it.
 * @module api
 */

/** The events a brand may listen to. */
export const API_EVENTS = Object.freeze(["invite", "session.started", "session.mode", "session.ended", "state"]);

/**
 * @typedef {Object} ApiHooks
 * @property {(invitation: string) => void} accept
 * @property {(invitation: string) => void} decline
 * @property {() => void} end
 * @property {(path: string) => Promise<any>} request  a visitor request with our token
 */

/**
 * @param {ApiHooks} hooks
 */
export function createApi(hooks) {
  /** @type {Map<string, Set<Function>>} */
  const listeners = new Map(API_EVENTS.map((name) => [name, new Set()]));
  let lastState = "";
  let lastInvite = "";

  /** @param {string} name */
  const known = (name) => {
    if (!listeners.has(name)) throw new TypeError(`cobrowse: unknown event "${name}" (one of ${API_EVENTS.join(", ")})`);
    return /** @type {Set<Function>} */ (listeners.get(name));
  };
  /** @param {unknown} id */
  const idOf = (id) => {
    if (typeof id !== "string" || !id) throw new TypeError("cobrowse: an invitation id is required");
    return id;
  };

  const api = Object.freeze({
    /** @param {string} name @param {Function} fn */
    on(name, fn) {
      if (typeof fn !== "function") throw new TypeError("cobrowse.on: a listener function is required");
      known(name).add(fn);
    },
    /** @param {string} name @param {Function} fn */
    off(name, fn) {
      known(name).delete(fn);
    },
    /** @param {string} invitation */
    accept: (invitation) => hooks.accept(idOf(invitation)),
    /** @param {string} invitation */
    decline: (invitation) => hooks.decline(idOf(invitation)),
    end: () => hooks.end(),
    /** @returns {Promise<string>} six digits, valid for a few minutes, used once */
    supportCode: () => hooks.request("api/v1/visitor/code").then((r) => String(r.code)),
    /** @returns {Promise<string>} an opaque reference to this tab's visitor */
    visitorRef: () => hooks.request("api/v1/visitor/ref").then((r) => String(r.ref)),
  });

  /** @param {string} name @param {any} data */
  function emit(name, data) {
    for (const fn of Array.from(known(name))) {
      try {
        fn(JSON.parse(JSON.stringify(data)));
      } catch (e) {
        console.warn("[cobrowse] an API listener failed", name, e);
      }
    }
  }

  return {
    api,
    emit,
    /**
     * The server's STATE, as the brand sees it; emits "state" when it changed, and
     * "invite" for an invitation not announced yet.
     * @param {any} s
     */
    state(s) {
      const inv = s && s.invitation && !s.session ? { invitation: s.invitation.id, mode: s.invitation.mode, agent: s.invitation.agent } : null;
      const sess = s && s.session ? { session: s.session.id, mode: s.session.mode, agent: s.session.agent } : null;
      if (inv) this.invite(inv);
      const text = JSON.stringify({ invitation: inv, session: sess });
      if (text !== lastState) {
        lastState = text;
        emit("state", { invitation: inv, session: sess });
      }
    },
    /** @param {{invitation: string, mode: string, agent: string}} inv */
    invite(inv) {
      if (inv.invitation === lastInvite) return;
      lastInvite = inv.invitation;
      emit("invite", inv);
    },
    /** Publish window.cobrowse and say so. */
    expose() {
      Object.defineProperty(window, "cobrowse", { value: api, configurable: true, enumerable: false, writable: false });
      window.dispatchEvent(new CustomEvent("cobrowse:ready", { detail: { version: 1 } }));
    },
    /** Remove window.cobrowse (the tag stopped). */
    remove() {
      try {
        delete /** @type {any} */ (window).cobrowse;
      } catch (e) {
        /* ignore */
      }
    },
  };
}
