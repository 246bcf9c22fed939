"""``cobrowse audit list|show``: the audit trail (issue 14, :mod:`cobrowse.rules.audit`) as
text or JSON."""

from __future__ import annotations

import json
import re
import time
from datetime import UTC, datetime

from cobrowse.errors import CobrowseError
from cobrowse.rules.audit import Audit

_AGO = re.compile(r"(\d+)([dhm])\Z")


def parse_since(value: str | None, now: float | None = None) -> float | None:
    """``7d``, ``12h``, ``30m`` or an ISO date/time (UTC unless it says otherwise)."""
    if not value:
        return None
    now = time.time() if now is None else now
    m = _AGO.match(value.strip())
    if m:
        return now - int(m.group(1)) * {"d": 86400, "h": 3600, "m": 60}[m.group(2)]
    try:
        when = datetime.fromisoformat(value.strip())
    except ValueError:
        raise CobrowseError(f"--since {value!r}: give 7d, 12h, 30m or an ISO date",
                            code="bad_since") from None
    return (when if when.tzinfo else when.replace(tzinfo=UTC)).timestamp()


def _when(t: float | None) -> str:
    return datetime.fromtimestamp(t, UTC).strftime("%Y-%m-%d %H:%M:%S") if t else "-"


def run_audit(args, cfg, broker, stdout) -> int:
    if not cfg.redis_url:
        raise CobrowseError("the audit trail lives in Redis: set COBROWSE_REDIS_URL",
                            code="no_redis")
    audit = Audit(broker, cfg)
    if args.action == "list":
        for item in audit.summaries(parse_since(args.since), args.agent):
            record = audit.show(item["ref"]) or {}
            line = {k: record.get(k) for k in ("ref", "session", "agent", "visitor", "site",
                                               "invited", "invitation", "ended", "end_reason")}
            if args.json:
                print(json.dumps(line), file=stdout)
            else:
                print(f"{_when(line['invited'])}  {line['ref']}  {line['session'] or '-'}  "
                      f"{line['agent']}  {line['site']}  {line['invitation']}  "
                      f"{line['end_reason'] or '-'}", file=stdout)
        return 0
    record = audit.show(args.ref)
    if record is None:
        raise CobrowseError(f"no audit trail for {args.ref!r} (expired, or never existed)",
                            code="unknown")
    if args.json:
        print(json.dumps(record, indent=1), file=stdout)
        return 0
    print(f"co-browse {record['ref']} (session {record['session'] or '-'})", file=stdout)
    print(f"agent {record['agent']}, visitor {record['visitor']}, site {record['site']}",
          file=stdout)
    print(f"invited {_when(record['invited'])}: {record['invitation']}; ended "
          f"{_when(record['ended'])} ({record['end_reason'] or '-'})", file=stdout)
    print("controls: " + (", ".join(f"{k} x{v}" for k, v in record["controls"].items()) or "none"),
          file=stdout)
    print("refusals: " + (", ".join(f"{k} x{v}" for k, v in record["refusals"].items()) or "none"),
          file=stdout)
    print(f"pauses: {record['pauses']}", file=stdout)
    for step in record["steps"]:
        extra = " ".join(f"{k}={v}" for k, v in step.items() if k not in ("t", "e"))
        print(f"  {_when(step['t'])}  {step['e']:<16} {extra}", file=stdout)
    return 0
