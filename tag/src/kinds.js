/**
 * Event kinds, exactly as in docs/protocol.md and cobrowse/protocol.py
 * (a test compares these lists to the Python ones).
 * @module kinds
 */

/** Kinds a visitor (this tag) may send. */
export const VISITOR_KINDS = Object.freeze([
  "chat", "invite.accept", "invite.decline", "session.end",
  "snapshot", "mutation", "scroll", "pointer", "click", "selection",
  "resize", "visibility", "page", "session.pause", "session.resume", "annotate.clear",
  "mode.accept", "mode.decline", "mode.drop", "join.accept", "join.decline",
]);

/** Kinds an agent may send (the tag receives the session ones in its session stream). */
export const AGENT_KINDS = Object.freeze([
  "conversation.take", "conversation.close", "chat", "invite", "invite.cancel",
  "session.end", "session.mode", "snapshot.request",
  "pointer", "highlight", "wiggle", "selection", "scroll",
  "control.click", "control.input", "control.navigate",
  "annotate", "annotate.clear", "join", "join.accept", "join.decline", "join.leave",
]);

/** Agent kinds that act on the page: honoured in shared mode only. */
export const CONTROL_KINDS = Object.freeze(["control.click", "control.input", "control.navigate"]);

/** Visitor kinds that describe the page: only sent while a session is active. */
export const CAPTURE_KINDS = Object.freeze([
  "snapshot", "mutation", "scroll", "pointer", "click", "selection", "resize", "visibility", "page",
]);

/** Placeholder for every masked value or text; says nothing of the length. */
export const MASK_PLACEHOLDER = "\u2022\u2022\u2022";
