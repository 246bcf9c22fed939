// The co-browse widget beside the chat: status, mode switch, fullscreen, end, and the live
// replica with pointers, co-scrolling and control.
import { Annotations } from './annotations.js';
import { Control } from './control.js';
import { LoadReport } from './load-report.js';
import { Pointers } from './cursors.js';
import { Replica, createReplicaFrame } from './replica.js';
import { modeOf } from './safe-dom.js';
import { ScrollSync } from './scroll-sync.js';
import { WidgetChrome } from './widget-chrome.js';

const RESYNC_MS = 5000;
const RESUME_WAIT_MS = 2500;

const ENDED = {
  visitor: 'The visitor ended the co-browse.',
  agent: 'You ended the co-browse.',
  visitor_gone: 'The visitor left the site.',
  signed_out: 'The co-browse ended when you signed out.',
  agent_gone: 'The co-browse ended: this workspace was offline too long.',
  lost: 'The co-browse ended: the server lost it (its storage restarted without its data). You can invite the visitor again.',
};
/** How it ended, as a watcher hears it (issue 15, item 2). */
const WATCH_ENDED = {
  visitor: 'The visitor ended the co-browse.',
  agent: 'The owner ended the co-browse.',
  visitor_gone: 'The visitor left the site.',
  left: 'You left the co-browse.',
  signed_out: 'You stopped watching when you signed out.',
};
const WATCH_NOTE = 'You are watching: only the agent who owns this co-browse can point, draw or operate the page.';

/**
 * @typedef {{id: string, conversation?: string, mode: string, visitor?: string, site?: string,
 *   owner?: string, me?: string}} Session
 * @typedef {{send: (events: object[], opts?: {merge?: boolean, noWait?: boolean}) => Promise<any>,
 *   onClose: () => void}} WidgetHooks
 */

/** One co-browse session's widget. */
export class CobrowseWidget {
  /**
   * @param {HTMLElement} root the widget's section (the element made fullscreen)
   * @param {WidgetHooks} hooks
   */
  constructor(root, hooks) {
    this.root = root;
    this.hooks = hooks;
    this.chrome = new WidgetChrome(root, {
      onSwitch: () => this.switchMode(),
      onEnd: () => this.end(),
      onClose: () => hooks.onClose(),
      onLeave: () => this.hooks.send([{ k: 'join.leave' }]).catch((err) => this.chrome.note(`Could not leave: ${err.message}`)),
      onJoinAnswer: (join, accept) => this.answerJoin(join, accept),
    });
    /** A watcher's widget (issue 15, item 2): it sends nothing into the session. */
    this.watching = false;
    /** @type {Session|null} */
    this.session = null;
    /** @type {Replica|null} */
    this.replica = null;
    /** @type {any[]} */
    this.queue = [];
    this.draining = false;
    this.resyncAt = 0;
    /** The replica's zoom (layout()). */
    this.scale = 1;
    /** @type {Annotations|undefined} */
    this.annotations = undefined;
    this.flags = { loaded: false, away: false, online: true, leaving: false, ended: '' };
    new ResizeObserver(() => this.layout()).observe(this.chrome.stage);
  }

  /**
   * Open the widget for a session (new, or found again after a reload).
   * @param {Session} session
   * @param {{resumed?: boolean, watching?: boolean}} [opts] resumed: ask the visitor's tag
   *   for a fresh snapshot; watching: a colleague's session this agent watches (view only,
   *   nothing sent: the stream holds the page from its start, as after a reload)
   */
  start(session, opts = {}) {
    if (this.session?.id === session.id && !this.flags.ended && this.watching === !!opts.watching) return;
    this.teardown();
    this.session = session;
    this.watching = !!opts.watching;
    this.flags = { loaded: false, away: session.visitor === 'away', online: true, leaving: false, ended: '' };
    const frame = createReplicaFrame(session.site);
    this.chrome.mount(frame);
    const send = this.watching
      ? () => Promise.resolve([]) // a watcher sends nothing into the session (docs/protocol.md)
      : (/** @type {object[]} */ events, /** @type {{merge?: boolean}} */ o) => this.sendQuiet(events, o);
    this.loads = new LoadReport((lines) => this.chrome.loads(lines));
    const replica = new Replica(frame, { onDocument: (doc) => this.hook(doc) });
    this.replica = replica;
    this.pointers = new Pointers(this.chrome.overlay, replica, send, { owner: this.watching ? session.owner || 'Agent' : '' });
    this.scrolls = new ScrollSync(replica, send);
    this.annotations = new Annotations(this.chrome.tools, this.chrome.overlay, replica, send, { scale: () => this.scale });
    this.control = new Control(replica, {
      send,
      note: (text) => this.chrome.note(this.watching ? WATCH_NOTE : text),
      ring: (p, who) => this.pointers?.ring(p, who),
      mode: () => (this.watching ? 'view' : this.session?.mode || 'view'),
    });
    this.chrome.watchMode(this.watching);
    this.root.hidden = false;
    this.chrome.setMode(session.mode);
    if (/** @type {any} */ (session).request) this.chrome.asking(true);
    // Until the first bytes of the page arrive (a big page takes seconds on a slow uplink).
    this.chrome.progress(-1, 1, "Waiting for the visitor's page…");
    this.render();
    this.layout();
    if (opts.resumed && !this.watching) {
      // Found again after a reload: the stream may still hold the snapshot; ask only if not.
      window.setTimeout(() => { if (this.session === session && !this.flags.loaded) this.requestSnapshot(true); }, RESUME_WAIT_MS);
    }
  }

  /** @private @param {Document} doc */
  hook(doc) {
    this.loads?.hook(doc);
    this.pointers?.hook(doc);
    this.scrolls?.hook(doc);
    this.control?.hook(doc);
    this.annotations?.hook(doc);
  }

  /**
   * Events of the session stream, applied in order (a snapshot is built in slices; what
   * comes meanwhile waits; a newer snapshot makes older events moot).
   * @param {any[]} events
   */
  push(events) {
    if (!this.session || this.flags.ended) return;
    this.queue.push(...events);
    if (!this.draining) this.drain();
  }

  /** @private */
  async drain() {
    this.draining = true;
    try {
      while (this.queue.length) {
        let last = -1;
        this.queue.forEach((ev, at) => { if (ev.k === 'snapshot') last = at; });
        if (last > 0) this.queue.splice(0, last);
        await this.handle(this.queue.shift());
      }
    } finally {
      this.draining = false;
    }
  }

  /**
   * @private
   * @param {any} ev
   */
  async handle(ev) {
    const replica = this.replica;
    if (!replica || !this.pointers || !this.scrolls) return;
    if (String(ev.s).startsWith('o_')) return this.ownerEvent(ev);
    switch (ev.k) {
      case 'snapshot':
        return this.snapshot(ev);
      case 'mutation':
        if (!this.flags.loaded) return;
        if (!replica.apply(ev.m)) this.requestSnapshot(false);
        this.chrome.loadingRest(replica.loadingRest);
        this.pointers.reposition();
        this.annotations?.redraw();
        return;
      case 'scroll':
        this.scrolls.remote(ev.i, ev.x, ev.y);
        this.pointers.reposition();
        this.annotations?.redraw();
        return;
      case 'annotate.clear':
        this.annotations?.clearAll(false);
        return this.chrome.note('The visitor cleared the drawings.');
      case 'pointer':
        return this.pointers.visitorPointer(ev);
      case 'click':
        return this.pointers.ring(ev, 'visitor');
      case 'selection':
        return this.pointers.visitorSelection(ev.r);
      case 'resize':
        replica.viewport = { vw: Number(ev.w) || replica.viewport.vw, vh: Number(ev.h) || replica.viewport.vh };
        return this.layout();
      case 'visibility':
        return this.chrome.tabHidden(!!ev.hidden);
      case 'page':
        if (ev.state === 'leave') this.flags.leaving = true;
        return this.render();
      case 'session.pause':
        // Nothing of the page comes meanwhile; what the replica showed goes (issue 14).
        this.flags.loaded = false;
        this.pointers.clear();
        replica.clear();
        this.chrome.loadingRest(false);
        return this.chrome.paused(true, ev.by);
      case 'session.resume':
        this.chrome.progress(-1, 1, "Waiting for the visitor's page…");
        return this.chrome.paused(false);
      default:
    }
  }

  /**
   * The owner's events, to a watcher (the visitor's stream, issue 15): its pointer,
   * highlights, wiggles and drawings. Its control, scrolling (the visitor's scroll follows)
   * and snapshot requests change nothing here.
   * @private
   * @param {any} ev
   */
  ownerEvent(ev) {
    if (!this.flags.loaded || !this.pointers) return;
    switch (ev.k) {
      case 'pointer':
        return this.pointers.ownerPointer(ev);
      case 'highlight':
        return this.pointers.ring(ev, 'agent');
      case 'wiggle':
        return this.pointers.ring({ i: ev.i, x: 0.5, y: 0.5 }, 'wiggle');
      case 'annotate':
        return this.annotations?.show(ev);
      case 'annotate.clear':
        return this.annotations?.clearAll(false);
      default:
    }
  }

  /**
   * @private
   * @param {any} snap
   */
  async snapshot(snap) {
    const replica = /** @type {Replica} */ (this.replica);
    this.pointers?.clear();
    // A new page has new node ids: drawings anchored to the old ones would land elsewhere.
    this.annotations?.reset();
    this.chrome.progress(0, 1, 'Building the page…');
    this.loads?.reset();
    const done = await replica.load(snap, (n, total) => this.chrome.progress(n, total, 'Building the page…'));
    if (!done || replica !== this.replica) return;
    this.chrome.progress(null);
    this.chrome.loadingRest(replica.loadingRest);
    this.chrome.paused(false);
    this.flags.loaded = true;
    this.flags.leaving = false;
    this.chrome.page(String(snap.title || ''), String(snap.url || ''), Array.isArray(snap.fidelity) ? snap.fidelity : []);
    this.scanLoads(replica);
    this.layout();
    this.render();
  }

  /**
   * Once the page has settled (styles in, fonts done), count what failed to load.
   * @private
   * @param {Replica} replica
   */
  async scanLoads(replica) {
    const docs = replica.documents();
    await Promise.race([
      Promise.all(docs.map((d) => modeOf(d).fonts?.ready)),
      new Promise((resolve) => setTimeout(resolve, 3000)),
    ]);
    if (replica === this.replica) this.loads?.scan(replica.documents());
  }

  /**
   * Bytes of a poll answer arriving; shown while the first snapshot is on its way.
   * @param {number} bytes
   */
  receiving(bytes) {
    if (!this.session || this.flags.ended || (this.flags.loaded && !this.flags.leaving) || bytes < 65536) return;
    this.chrome.progress(-1, 1, `Receiving the page… ${(bytes / 1048576).toFixed(1)} MB`);
  }

  /** @param {string} mode */
  setMode(mode) {
    if (!this.session) return;
    this.session.mode = mode;
    this.chrome.setMode(mode);
  }

  /**
   * The visitor's answer to a request for control (mode.state), or the visitor taking
   * control back (session.mode by the visitor): the agent is told in the widget.
   * @param {string} state open | accepted | declined | cancelled | dropped
   */
  controlState(state) {
    if (!this.session) return;
    this.chrome.asking(state === 'open');
    const words = {
      open: 'Asked the visitor for control: the session stays view only until they accept.',
      declined: 'The visitor declined control: the session stays view only.',
      dropped: 'The visitor took back control: the session is view only.',
    }[state];
    if (words) this.chrome.note(words);
  }

  /**
   * Who watches (issue 15, item 2), and for the owner the colleague asking to.
   * @param {{owner?: string, watchers: string[], joins?: {join: string, agent: string, stage: string}[]}} who
   */
  setWatchers(who) {
    if (!this.session) return;
    const names = (who.watchers || []).map(String);
    if (this.watching) {
      const others = names.filter((n) => n !== this.session?.me);
      this.chrome.watchers(`Watching ${who.owner || this.session.owner || 'a colleague'}'s co-browse${others.length ? ` with ${others.join(', ')}` : ''} (view only).`);
      return;
    }
    this.chrome.watchers(names.length ? `Watching with you: ${names.join(', ')}` : '');
    if (who.joins) this.chrome.joinPrompt(who.joins.find((j) => j.stage === 'owner') || null);
  }

  /**
   * A colleague's ask moved on (join.state to the owner): the prompt goes, a note says why.
   * @param {{join: string, agent: string, state: string, by?: string}} ev
   */
  joinState(ev) {
    if (this.chrome.joinId === ev.join && ev.state !== 'owner') this.chrome.joinPrompt(null);
    const words = {
      visitor: `${ev.agent} will watch once the visitor agrees.`,
      accepted: `${ev.agent} is watching (view only).`,
      declined: ev.by === 'visitor' ? `The visitor declined: ${ev.agent} is not watching.` : `${ev.agent} is not watching.`,
      cancelled: `${ev.agent} no longer asks to watch.`,
    }[ev.state];
    if (words) this.chrome.note(words);
  }

  /**
   * A colleague asks the owner to watch: the prompt in the widget.
   * @param {{join: string, agent: string}} ask
   */
  askJoin(ask) {
    if (this.session && !this.watching) this.chrome.joinPrompt(ask);
  }

  /** @private @param {string} join @param {boolean} accept */
  answerJoin(join, accept) {
    if (!join) return;
    this.chrome.joinPrompt(null);
    this.hooks.send([{ k: accept ? 'join.accept' : 'join.decline', join }])
      .catch((err) => this.chrome.note(`Not answered: ${err.message}`));
  }

  /** @param {boolean} here */
  setPresence(here) {
    this.flags.away = !here;
    this.render();
  }

  /** @param {boolean} online whether the workspace reaches the server */
  setOnline(online) {
    if (this.flags.online === online) return;
    this.flags.online = online;
    this.render();
  }

  /**
   * The session is over: nothing of the visitor's page is kept.
   * @param {string} reason
   */
  ended(reason) {
    if (!this.session || this.flags.ended) return;
    const words = this.watching ? WATCH_ENDED : ENDED;
    this.flags.ended = words[/** @type {keyof ENDED} */ (reason)] || 'The co-browse ended.';
    this.queue.length = 0;
    this.pointers?.clear();
    this.annotations?.reset();
    this.replica?.clear();
    this.chrome.progress(null);
    this.chrome.endedPanel(this.flags.ended);
    this.render();
    if (document.fullscreenElement === this.root) document.exitFullscreen().catch(() => {});
  }

  /** Hide the widget. */
  close() {
    this.teardown();
    this.session = null;
    this.root.hidden = true;
  }

  /** @returns {boolean} whether a live (not ended) session is shown */
  get live() {
    return !!this.session && !this.flags.ended;
  }

  /** @private */
  teardown() {
    this.pointers?.clear();
    this.replica?.clear();
    this.replica = null;
    this.annotations?.reset();
    this.pointers = this.scrolls = this.control = this.annotations = undefined;
    this.queue.length = 0;
    this.chrome.reset();
  }

  /** @private */
  render() {
    const f = this.flags;
    const [state, text] = f.ended ? ['ended', 'Ended']
      : !f.online ? ['reconnecting', 'Reconnecting…']
        : f.away ? ['away', 'Visitor away']
          : !f.loaded || f.leaving ? ['connecting', f.leaving ? 'Connecting… (visitor is changing page)' : 'Connecting…']
            : ['active', 'Active'];
    this.chrome.status(state, text);
  }

  /** Fit the visitor's viewport into the stage. @private */
  layout() {
    if (!this.replica) return;
    const scale = this.chrome.fit(this.replica.viewport.vw, this.replica.viewport.vh);
    this.scale = scale;
    this.pointers?.setScale(scale);
    this.annotations?.redraw();
  }

  /** @private */
  switchMode() {
    if (!this.session) return;
    const mode = this.session.mode === 'shared' ? 'view' : 'shared';
    this.hooks.send([{ k: 'session.mode', mode }]).catch((err) => this.chrome.note(`Mode not changed: ${err.message}`));
  }

  /** @private */
  end() {
    this.hooks.send([{ k: 'session.end' }]).catch((err) => this.chrome.note(`Could not end: ${err.message}`));
  }

  /**
   * Ask the visitor's tag for a fresh snapshot (after a reload, or when the replica drifted).
   * @private
   * @param {boolean} force
   */
  requestSnapshot(force) {
    if (!force && Date.now() - this.resyncAt < RESYNC_MS) return;
    this.resyncAt = Date.now();
    if (!this.watching) {
      this.sendQuiet([{ k: 'snapshot.request' }]);
      return;
    }
    // A watcher may ask too, throttled per session (docs/protocol.md): a 429 means someone
    // asked a moment ago and the page is on its way; wait out retry_after, quietly.
    this.hooks.send([{ k: 'snapshot.request' }], { noWait: true }).catch((err) => {
      if (err.status === 429) this.resyncAt = Date.now() + (err.retryAfter || 10) * 1000 - RESYNC_MS;
      else this.chrome.note(`Not sent: ${err.message}`);
    });
  }

  /**
   * Send events; a refusal shows as a note (e.g. a control event after a switch to view only).
   * @private
   * @param {object[]} events
   * @param {{merge?: boolean}} [opts]
   */
  sendQuiet(events, opts) {
    return this.hooks.send(events, opts).catch((err) => {
      if (!opts?.merge) this.chrome.note(err.status === 403 ? `Not allowed: ${err.message}` : `Not sent: ${err.message}`);
    });
  }
}
