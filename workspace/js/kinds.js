// Event kinds, defined once for the workspace. They mirror the tables of docs/protocol.md
// and cobrowse/protocol.py; tests/test_workspace_kinds.py checks that the lists agree.

/** Kinds the agent's workspace may send (protocol.md "From the agent"). */
export const AGENT_KINDS = Object.freeze([
  'conversation.take',
  'conversation.close',
  'chat',
  'invite',
  'invite.cancel',
  'session.end',
  'session.mode',
  'snapshot.request',
  'pointer',
  'highlight',
  'wiggle',
  'selection',
  'scroll',
  'control.click',
  'control.input',
  'control.navigate',
  'annotate',
  'annotate.clear',
  'join',
  'join.accept',
  'join.decline',
  'join.leave',
]);

/** Kinds the visitor's tag may send (protocol.md "From the visitor"). */
export const VISITOR_KINDS = Object.freeze([
  'chat',
  'invite.accept',
  'invite.decline',
  'session.end',
  'snapshot',
  'mutation',
  'scroll',
  'pointer',
  'click',
  'selection',
  'resize',
  'visibility',
  'page',
  'session.pause',
  'session.resume',
  'annotate.clear',
  'mode.accept',
  'mode.decline',
  'mode.drop',
  'join.accept',
  'join.decline',
]);

/** Kinds the server itself delivers (protocol.md "Delivered by the server"). */
export const SERVER_KINDS = Object.freeze([
  'chat',
  'queue',
  'invite',
  'invite.state',
  'session.started',
  'session.mode',
  'session.ended',
  'presence',
  'mode.request',
  'mode.state',
  'join.request',
  'join.state',
  'session.watchers',
  'part', // a slice of an event too big for one answer (api.js Poller.join)
]);

/** Agent kinds that act on the visitor's page: refused by the server in view-only mode. */
export const CONTROL_KINDS = Object.freeze(['control.click', 'control.input', 'control.navigate']);
