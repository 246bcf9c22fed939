"""Names of every broker key, in one place.

Keys of one thing share a Redis Cluster hash tag (the part in braces), so a Lua script that
touches a stream and its dedupe record, or all keys of one co-browse session, stays in one
slot (issue 2, item 3).
"""


def participant(pid: str) -> str:
    """JSON record of a visitor or agent participant."""
    return f"p:{{{pid}}}"


def inbox(pid: str) -> str:
    """A participant's own inbox stream (chat, invitations, lifecycle notices)."""
    return f"p:{{{pid}}}:in"


def last_send(pid: str) -> str:
    """The last send of a participant, a hash: its ``seq``, the stored answer (``status``,
    ``body``) once it has one, and the ``claim`` expiry (ms) while it is being applied."""
    return f"p:{{{pid}}}:seq"


def poll_generation(pid: str) -> str:
    """Counter bumped by every poll: a newer poll releases an older one."""
    return f"p:{{{pid}}}:poll"


def seen(pid: str) -> str:
    """When the participant last polled or sent (epoch seconds)."""
    return f"p:{{{pid}}}:seen"


def token(digest: str) -> str:
    """Participant id for a token's SHA-256 digest (the token itself is never stored)."""
    return f"t:{digest}"


def conversation(cid: str) -> str:
    return f"c:{{{cid}}}"


def transcript(cid: str) -> str:
    return f"c:{{{cid}}}:log"


WAITING = "conv:waiting"
OPEN = "conv:open"
ONLINE_AGENTS = "agents:online"
OPEN_INVITATIONS = "invites:open"
ACTIVE_SESSIONS = "sessions:active"
REAPER_LOCK = "reaper:lock"


def invitation(iid: str) -> str:
    return f"i:{{{iid}}}"


def agent_invitation(name: str) -> str:
    """Lock: the one open invitation of an agent."""
    return f"ag:{{{name}}}:invite"


def agent_session(name: str) -> str:
    """Lock: the one active co-browse session of an agent."""
    return f"ag:{{{name}}}:session"


def agent_conversations(name: str) -> str:
    return f"ag:{{{name}}}:convs"


def session(sid: str) -> str:
    return f"s:{{{sid}}}"


def session_stream(sid: str, role: str) -> str:
    """Events of a session flowing TO ``role`` ("agent" or "visitor")."""
    return f"s:{{{sid}}}:{role[0]}"


def session_index(sid: str) -> str:
    """The sanitizer's node index of the visitor's current page."""
    return f"s:{{{sid}}}:idx"


def session_page_url(sid: str) -> str:
    """The URL of the visitor's current page (for resolving a mutation's relative URLs)."""
    return f"s:{{{sid}}}:url"


def session_keys(sid: str) -> tuple[str, ...]:
    """Everything a session stores: deleted when it ends (sessions are never recorded)."""
    return (session(sid), session_stream(sid, "agent"), session_stream(sid, "visitor"),
            session_index(sid), session_page_url(sid))


def signin(digest: str) -> str:
    """An agent's workspace sign-in, by the SHA-256 of its cookie value."""
    return f"signin:{digest}"


def login_failures(subject: str) -> str:
    return f"login:fail:{subject}"


def agent_participants(name: str) -> str:
    """The participants (workspace sign-ins) of one agent: deliveries fan out to all."""
    return f"ag:{{{name}}}:pids"
