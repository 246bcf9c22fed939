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


def agent_watch(name: str) -> str:
    """Lock: the one session an agent watches, or asked to watch (issue 15, item 2); its
    value is the session id."""
    return f"ag:{{{name}}}:watch"


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


def session_targets(sid: str) -> str:
    """Where a click on each link, form control or label of the page would go (issue 10)."""
    return f"s:{{{sid}}}:tgt"


def session_page_url(sid: str) -> str:
    """The URL of the visitor's current page (for resolving a mutation's relative URLs)."""
    return f"s:{{{sid}}}:url"


def session_keys(sid: str) -> tuple[str, ...]:
    """Everything a session stores: deleted when it ends (sessions are never recorded)."""
    return (session(sid), session_stream(sid, "agent"), session_stream(sid, "visitor"),
            session_index(sid), session_page_url(sid), session_targets(sid))


def signin(digest: str) -> str:
    """An agent's workspace sign-in, by the SHA-256 of its cookie value."""
    return f"signin:{digest}"


def sso_state(state: str) -> str:
    """A single sign-on in progress: its nonce and PKCE verifier, until the callback."""
    return f"sso:state:{state}"


def login_failures(subject: str) -> str:
    return f"login:fail:{subject}"


def agent_participants(name: str) -> str:
    """The participants (workspace sign-ins) of one agent: deliveries fan out to all."""
    return f"ag:{{{name}}}:pids"


def upload(pid: str, upload_id: str) -> str:
    """The parts received so far of one big send split into parts (field = part index)."""
    return f"p:{{{pid}}}:up:{upload_id}"


# --- the integration surface (issue 13) ---------------------------------------------------

def support_code(code: str) -> str:
    """A live support code: the visitor it names (JSON), with the code's TTL."""
    return f"code:{code}"


def code_failures(subject: str) -> str:
    """Failed support-code attempts of one agent, integration or address."""
    return f"code:fail:{subject}"


#: Every failed support-code attempt, ever (a counter for operators).
CODE_FAILURES_TOTAL = "code:fail:total"


def visitor_ref(ref: str) -> str:
    """Participant id for an opaque visitor reference handed to the brand's page."""
    return f"vref:{ref}"


def code_claim(claim: str) -> str:
    """A redeemed code, held for the agent who entered it until they choose a mode."""
    return f"code:claim:{claim}"


def agent_link(digest: str) -> str:
    """A single-use agent link (by the SHA-256 of its token)."""
    return f"alink:{digest}"


def integration_session(sid: str) -> str:
    """What an integration may read about one of its sessions, kept after it ends."""
    return f"xs:{{{sid}}}"


def api_rate(name: str, window: int) -> str:
    return f"api:rate:{name}:{window}"


def webhook(eid: str) -> str:
    """A webhook delivery waiting to be sent (or retried)."""
    return f"wh:{{{eid}}}"


def webhook_claim(eid: str) -> str:
    """Short lock: the worker delivering this webhook now."""
    return f"wh:{{{eid}}}:claim"


WEBHOOKS_PENDING = "webhooks:pending"


def audit(ref: str) -> str:
    """The audit trail of one co-browse attempt (by invitation id), issue 14: steps without
    any page content, kept as long as transcripts."""
    return f"audit:{{{ref}}}"


#: Invitation ids (and their session ids) -> a one-line summary, for `cobrowse audit list`.
AUDIT_INDEX = "audit:index"


def asset(digest: str) -> str:
    """A resource-proxy answer (body or failure) cached for a short TTL (issue 11)."""
    return f"asset:{{{digest}}}"
