// The workspace: signs the agent in, then ties the transport to the views.
import { ApiError, Poller, Sender, request } from './api.js';
import { ChatView } from './chat.js';
import { CodeEntry } from './code-entry.js';
import { ConversationList } from './conversations.js';
import { InviteControl } from './invite.js';
import { LoginForm } from './login.js';
import { CobrowseWidget } from './widget.js';

const REFRESH_MS = 250;

/** @param {string} id */
const byId = (id) => /** @type {HTMLElement} */ (document.getElementById(id));

/** The signed-in workspace and its state. */
export class Workspace {
  constructor() {
    this.login = new LoginForm((res) => this.start(res));
    /** @type {Sender|null} */
    this.sender = null;
    /** @type {Poller|null} */
    this.poller = null;
    this.agent = { name: '', display: '' };
    /** @type {string|null} */
    this.openId = null;
    /** @type {{id: string, conversation?: string, mode: string}|null} */
    this.invitation = null;
    /** @type {{id: string, conversation?: string, mode: string, visitor?: string}|null} */
    this.session = null;
    /** A colleague's session this agent watches, or asked to (issue 15, item 2). */
    /** @type {{session: string, join?: string, state: string, owner?: string}|null} */
    this.watch = null;
    /** @type {Map<string, {state: string, message?: string}>} outcome of the last invitation per conversation */
    this.results = new Map();
    this.refreshTimer = 0;
    /** Number of the latest conversation-list request (see refresh). */
    this.refreshTicket = 0;
    this.list = new ConversationList(byId('conversations'), {
      onOpen: (id) => this.open(id),
      onTake: (id) => this.take(id),
      onJoin: (session) => this.join(session),
    });
    this.chat = new ChatView(byId('chat'), {
      onSend: (text) => this.sendChat(text),
      onTake: (id) => this.take(id),
      onClose: (id) => this.act([{ k: 'conversation.close', conversation: id }]),
    });
    this.invite = new InviteControl(this.chat.actions, this.chat.banner, {
      onInvite: (mode) => this.sendInvite(mode),
      onCancel: (id) => this.act([{ k: 'invite.cancel', invitation: id }]),
      onDismiss: () => { if (this.openId) this.results.delete(this.openId); this.renderInvite(); },
    });
    this.widget = new CobrowseWidget(byId('widget'), {
      send: (events, opts) => this.send(events, opts),
      onClose: () => {
        this.widget.close();
        this.layout();
        // The focused Close button is gone: back to the conversation.
        const next = !this.invite.button.disabled ? this.invite.button : this.chat.input;
        if (!next.hasAttribute('disabled') && this.chat.conv) next.focus();
      },
    });
    this.code = new CodeEntry(byId('code-slot'), {
      token: () => this.poller?.token || '',
      onCancel: (id) => this.act([{ k: 'invite.cancel', invitation: id }]),
      onInvited: (id, mode) => {
        if (!this.session) this.invitation = { id, mode };
        this.renderInvite();
      },
    });
    byId('logout').addEventListener('click', () => this.signOut());
  }

  /** Resume a signed-in cookie, or show the sign-in form. */
  async boot() {
    try {
      this.start(await request('/workspace/api/me'));
    } catch (err) {
      this.login.show(err instanceof ApiError && err.status !== 401 && err.status !== 0 ? err.message : '');
    }
  }

  /**
   * @param {{agent: {name: string, display?: string}, token: string, seq: number, scoped?: boolean}} res
   */
  start(res) {
    this.agent = { name: res.agent?.name || '', display: res.agent?.display || res.agent?.name || '' };
    this.chat.me = [this.agent.name, this.agent.display];
    byId('agent-name').textContent = this.agent.display;
    // An agent link's sign-in (issue 13) is for one co-browse session: no codes, no queue.
    document.body.classList.toggle('scoped', !!res.scoped);
    this.login.hide();
    byId('app').hidden = false;
    const hooks = { onStatus: (/** @type {boolean} */ on) => this.online(on), onUnauthorized: () => this.expired() };
    this.sender = new Sender(res.token, res.seq, hooks);
    this.poller = new Poller(res.token, {
      ...hooks,
      onEvents: (events) => this.dispatch(events),
      onState: (state) => this.applyState(state),
      onReleased: () => this.otherTab(),
      onProgress: (bytes) => this.widget.receiving(bytes),
    });
    this.poller.start();
    this.refresh();
  }

  /**
   * Queue events for the server (see api.js Sender).
   * @param {object[]} events
   * @param {{merge?: boolean}} [opts]
   * @returns {Promise<any[]>}
   */
  send(events, opts) {
    if (!this.sender) return Promise.reject(new ApiError(401, { message: 'Not signed in.' }));
    return this.sender.send(events, opts);
  }

  /**
   * Send, and show a refusal in the chat's banner.
   * @private
   * @param {object[]} events
   */
  async act(events) {
    try {
      const results = await this.send(events);
      this.scheduleRefresh();
      return results;
    } catch (err) {
      if (this.openId) this.results.set(this.openId, { state: 'error', message: /** @type {Error} */ (err).message });
      this.renderInvite();
      return null;
    }
  }

  /** @private @param {string} text */
  async sendChat(text) {
    if (!this.openId) throw new Error('No conversation is open.');
    await this.send([{ k: 'chat', conversation: this.openId, text }]);
  }

  /** @private @param {string} id */
  async take(id) {
    if (await this.act([{ k: 'conversation.take', conversation: id }])) {
      await this.refresh();
      this.open(id);
    }
  }

  /**
   * Ask to watch a colleague's session (view only): the owner, then the visitor agree.
   * @private
   * @param {string} session
   */
  async join(session) {
    this.list.joinStatus('');
    try {
      const [res] = await this.send([{ k: 'join', session }]);
      this.watch = { session, join: res?.join, state: res?.state || 'owner' };
      this.list.joinStatus(res?.state === 'visitor' ? 'Waiting for the visitor to agree…' : 'Waiting for the agent to agree…');
    } catch (err) {
      this.list.joinStatus(`Not joined: ${/** @type {Error} */ (err).message}`);
    }
    this.scheduleRefresh();
  }

  /**
   * What became of this agent's watch (join.state to the watcher).
   * @private
   * @param {any} ev
   */
  watchState(ev) {
    const words = {
      owner: 'Waiting for the agent to agree…',
      visitor: 'Waiting for the visitor to agree…',
      declined: ev.by === 'visitor' ? 'The visitor declined: you are not watching.' : 'The agent declined: you are not watching.',
      accepted: '',
      left: '',
      ended: '',
    }[/** @type {string} */ (ev.state)];
    if (words !== undefined) this.list.joinStatus(words);
    if (ev.state === 'accepted') this.startWatching(ev);
    else if (ev.state === 'owner' || ev.state === 'visitor') this.watch = { session: ev.session, join: ev.join, state: ev.state };
    else if (this.watch && this.watch.session === ev.session) this.stopWatching(ev.reason || ev.state);
    this.renderInvite();
    this.scheduleRefresh();
  }

  /**
   * Watch a colleague's session: its stream from cursor 0, like the owner after a reload.
   * @private
   * @param {any} w the STATE's watch, or the join.state that admitted this agent
   */
  startWatching(w) {
    const id = String(w.session);
    if (this.watch?.state === 'watching' && this.watch.session === id && this.widget.live) return;
    this.watch = { session: id, join: w.join, state: 'watching', owner: w.owner };
    this.poller?.follow(id);
    this.widget.start({ id, conversation: w.conversation, mode: w.mode, visitor: w.visitor, site: w.site,
      owner: w.owner, me: this.agent.display }, { watching: true });
    this.widget.setWatchers({ watchers: w.watchers || [], owner: w.owner });
    this.layout();
  }

  /** @private @param {string} reason */
  stopWatching(reason) {
    const was = this.watch;
    this.watch = null;
    if (was?.state !== 'watching') return;
    this.poller?.follow(null);
    this.widget.ended(reason);
  }

  /** @private @param {'view'|'shared'} mode */
  async sendInvite(mode) {
    const conversation = this.openId;
    if (!conversation) return;
    this.results.delete(conversation);
    // The chosen menu item disappears: keep the keyboard in the conversation.
    if (!this.chat.input.disabled) this.chat.input.focus();
    const results = await this.act([{ k: 'invite', conversation, mode }]);
    const id = results?.[0]?.invitation;
    if (id && !this.session) this.invitation = { id: String(id), conversation, mode };
    this.renderInvite();
  }

  /**
   * Open a conversation: its transcript from the server, then live messages.
   * @param {string} id
   */
  async open(id) {
    this.openId = id;
    this.list.select(id);
    const conv = this.list.find(id);
    if (!conv || !this.poller) return;
    this.chat.show(conv);
    this.renderInvite();
    try {
      const res = await request('/api/v1/agent/transcript', { token: this.poller.token, conversation: id });
      if (this.openId !== id || this.chat.conv?.id !== id) return;
      this.chat.fill(res.messages || []);
    } catch (err) {
      if (this.openId !== id) return;
      this.chat.fill([]);
      this.chat.error.textContent = `The transcript could not be loaded: ${/** @type {Error} */ (err).message}`;
      this.chat.error.hidden = false;
    }
    this.renderInvite();
    this.scheduleRefresh();
  }

  /** Fetch the conversation list again. */
  async refresh() {
    if (!this.poller) return;
    // Answers may cross on the way: one that left before a newer one is stale (it could
    // show a conversation just taken as still waiting, and close the menu the agent opened).
    const ticket = ++this.refreshTicket;
    try {
      const res = await request('/api/v1/agent/conversations', { token: this.poller.token });
      if (ticket !== this.refreshTicket) return;
      this.list.update(res.conversations || [], res.cobrowsing || []);
      const conv = this.openId && this.list.find(this.openId);
      if (conv && this.chat.conv?.id === conv.id) this.chat.update(conv);
      this.renderInvite();
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) this.expired();
    }
  }

  /** @private */
  scheduleRefresh() {
    window.clearTimeout(this.refreshTimer);
    this.refreshTimer = window.setTimeout(() => this.refresh(), REFRESH_MS);
  }

  /**
   * Events from the poll, in order.
   * @private
   * @param {any[]} events
   */
  dispatch(events) {
    /** @type {any[]} */
    const session = [];
    for (const ev of events) {
      switch (ev.k) {
        case 'chat':
          if (ev.conversation === this.openId) this.chat.add(ev);
          this.scheduleRefresh();
          break;
        case 'queue':
          this.scheduleRefresh();
          break;
        case 'invite.state':
          this.inviteState(ev);
          break;
        case 'session.started':
          this.sessionStarted(ev, false);
          break;
        case 'session.mode':
          if (this.session && this.session.id === ev.session) this.session.mode = ev.mode;
          this.widget.setMode(ev.mode);
          if (ev.by === 'visitor' && ev.mode === 'view') this.widget.controlState('dropped');
          break;
        case 'mode.state':
          if (this.session && this.session.id === ev.session) this.widget.controlState(ev.state);
          break;
        case 'session.ended':
          this.sessionEnded(ev.reason);
          break;
        case 'presence':
          this.widget.setPresence(ev.visitor !== 'away');
          break;
        case 'join.request':
          if (this.session && ev.session === this.session.id) this.widget.askJoin({ join: ev.join, agent: ev.agent });
          break;
        case 'join.state':
          if (this.session && ev.session === this.session.id) this.widget.joinState(ev);
          else this.watchState(ev);
          break;
        case 'session.watchers':
          if ((this.session && ev.session === this.session.id) || this.watch?.session === ev.session) {
            this.widget.setWatchers({ watchers: ev.watchers || [], owner: this.watch?.owner });
          }
          this.scheduleRefresh();
          break;
        default:
          if (String(ev.s).startsWith('s_')) session.push(ev);
      }
    }
    if (session.length) this.widget.push(session);
  }

  /** @private @param {any} ev */
  inviteState(ev) {
    if (ev.state === 'open') {
      // The server confirms a new invitation (also seen by this agent's other tabs).
      if (!this.session) this.invitation = { id: String(ev.invitation), conversation: ev.conversation, mode: ev.mode };
      if (ev.conversation) this.results.delete(ev.conversation);
      this.renderInvite();
      return;
    }
    if (this.invitation && this.invitation.id === ev.invitation) this.invitation = null;
    if (ev.state !== 'accepted' && ev.conversation) this.results.set(ev.conversation, { state: ev.state });
    if (ev.state === 'cancelled' && ev.conversation) this.results.delete(ev.conversation);
    this.renderInvite();
  }

  /**
   * @private
   * @param {any} ev session.started, or the STATE's session after a reload
   * @param {boolean} resumed
   */
  sessionStarted(ev, resumed) {
    const id = String(ev.session ?? ev.id);
    const site = ev.site || (ev.conversation ? this.list.find(ev.conversation)?.site : undefined);
    this.session = { id, conversation: ev.conversation, mode: ev.mode, visitor: ev.visitor, site };
    this.invitation = null;
    this.poller?.follow(id);
    this.widget.start({ ...this.session }, { resumed });
    this.list.markCoBrowsing(ev.conversation || null);
    this.layout();
    this.renderInvite();
  }

  /** @private @param {string} reason */
  sessionEnded(reason) {
    this.session = null;
    this.poller?.follow(null);
    this.widget.ended(reason);
    this.list.markCoBrowsing(null);
    this.renderInvite();
  }

  /**
   * The STATE of each poll answer: the truth about invitation and session.
   * @private
   * @param {any} state
   */
  applyState(state) {
    const inv = state.invitation;
    if (inv && (!this.invitation || this.invitation.id !== inv.id)) {
      this.invitation = { id: String(inv.id), mode: inv.mode, conversation: inv.conversation };
    } else if (!inv) this.invitation = null;
    const s = state.session;
    if (s && (!this.session || this.session.id !== s.id)) this.sessionStarted({ ...s, session: s.id }, true);
    else if (s && this.session) this.widget.setPresence(s.visitor !== 'away');
    else if (!s && this.session) this.sessionEnded('');
    if (s) this.widget.setWatchers({ watchers: s.watchers || [], joins: s.joins || [] });
    // A colleague's session this agent watches (issue 15, item 2).
    const w = state.watch;
    if (w && w.state === 'watching') {
      this.startWatching(w);
      this.widget.setPresence(w.visitor !== 'away');
    } else if (w) this.watch = { session: w.session, join: w.join, state: w.state, owner: w.owner };
    else if (this.watch && !s) this.stopWatching('');
    this.renderInvite();
  }

  /** @private */
  renderInvite() {
    this.code.update(this.invitation, !!this.session);
    this.invite.update({
      conversation: this.openId ? this.list.find(this.openId) || null : null,
      invitation: this.invitation,
      session: this.session,
      result: this.openId ? this.results.get(this.openId) || null : null,
      watching: !!this.watch,
    });
  }

  /** Widget beside the chat, or not. @private */
  layout() {
    byId('panes').classList.toggle('with-widget', !byId('widget').hidden);
  }

  /** @private @param {boolean} on */
  online(on) {
    const el = byId('connection');
    el.hidden = on;
    el.textContent = on ? '' : 'Reconnecting…';
    this.widget.setOnline(on);
  }

  /** Another tab of this agent polls now: this one steps aside. @private */
  otherTab() {
    this.poller?.stop();
    const el = byId('connection');
    el.hidden = false;
    el.textContent = 'The workspace is open in another tab. Reload to use it here.';
  }

  /** The cookie expired or was revoked. @private */
  expired() {
    this.stop();
    this.login.show('Your sign-in has expired. Sign in again.');
  }

  /** @private */
  stop() {
    this.poller?.stop();
    this.sender?.close();
    this.poller = null;
    this.sender = null;
    this.session = null;
    this.watch = null;
    this.invitation = null;
    this.openId = null;
    this.widget.close();
    this.chat.reset();
    this.list.update([]);
    byId('app').hidden = true;
    this.layout();
  }

  /** @private */
  async signOut() {
    try {
      await request('/workspace/api/logout', {});
    } catch {
      /* the cookie is cleared or already gone: either way, sign in again */
    }
    this.stop();
    this.login.show('You are signed out.');
  }
}
