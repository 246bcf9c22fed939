"""The ``cobrowse`` command for operators: agents, sites and integrations.

    cobrowse agent add NAME --password-stdin [--display "Full Name"] [--supervisor]
    cobrowse agent list | cobrowse agent remove NAME
    cobrowse site add SITE_ID --origin URL [--origin URL ...] [--mask SELECTOR ...]
                      [--private] [--unmask SELECTOR ...] [--no-control SELECTOR ...]
                      [--pause PATTERN ...]
    A --mask, --unmask or --no-control rule may start with a URL path pattern:
    --mask '/checkout/* #card-number' applies on /checkout/... pages only.
                      [--resource-origin URL ...] [--proxy fonts,styles,images|none]
                      [--no-ui]
    cobrowse site list | cobrowse site remove SITE_ID
    cobrowse integration add NAME [--webhook URL]
    cobrowse integration list | cobrowse integration remove NAME
    cobrowse audit list [--since 7d|ISO-DATE] [--agent NAME] [--json]
    cobrowse audit show SESSION [--json]

It reads the same configuration as the server (``COBROWSE_*``, ``COBROWSE_CONFIG``) and writes
to the same store, so an agent added while the server runs can sign in at once.
"""

from __future__ import annotations

import argparse
import json
import sys

from cobrowse import config as config_mod
from cobrowse.core import make_directory
from cobrowse.errors import CobrowseError
from cobrowse.rules.integrations import Integrations
from cobrowse.rules.passwords import hash_password
from cobrowse.storage import create_broker
from cobrowse.storage.directory import Agent, Site


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="cobrowse", description=__doc__.split("\n")[0])
    kinds = parser.add_subparsers(dest="kind", required=True)

    agent = kinds.add_parser("agent", help="manage agents").add_subparsers(dest="action", required=True)
    add = agent.add_parser("add", help="add an agent, or set a new password for one")
    add.add_argument("name")
    add.add_argument("--password-stdin", action="store_true", required=True,
                     help="read the password from standard input (never from the command line)")
    add.add_argument("--display", default="", help="name shown to visitors")
    add.add_argument("--supervisor", action=argparse.BooleanOptionalAction, default=None,
                     help="may join any colleague's co-browse session without the owner's "
                          "agreement (the visitor is still asked); --no-supervisor takes it away")
    agent.add_parser("list", help="list agents")
    rm = agent.add_parser("remove", help="remove an agent")
    rm.add_argument("name")

    site = kinds.add_parser("site", help="manage sites").add_subparsers(dest="action", required=True)
    add = site.add_parser("add", help="add or replace a site")
    add.add_argument("site_id")
    add.add_argument("--origin", action="append", required=True,
                     help="an origin whose pages carry the tag, e.g. https://www.brand.example")
    add.add_argument("--mask", action="append", default=[], metavar="[PATTERN] SELECTOR",
                     help="CSS selector of fields or elements to mask (repeatable); an optional "
                          "URL path glob first scopes it to pages: '/checkout/* #card'")
    add.add_argument("--private", action="store_true",
                     help="private by default: mask all text and form values of the page "
                          "(the agent sees its shape) except --unmask elements")
    add.add_argument("--unmask", action="append", default=[], metavar="[PATTERN] SELECTOR",
                     help="with --private: CSS selector of elements shown as they are, with "
                          "their descendants (repeatable, may be scoped like --mask); "
                          "passwords and --mask win over it")
    add.add_argument("--no-control", action="append", default=[], metavar="[PATTERN] SELECTOR",
                     help="CSS selector of elements the agent may not click, type into or "
                          "select in shared mode, nor their descendants or labels (repeatable, "
                          "may be scoped like --mask)")
    add.add_argument("--pause", action="append", default=[], metavar="PATTERN",
                     help="URL path glob of pages where sharing pauses by itself until the "
                          "visitor leaves them, e.g. '/account/*' (repeatable; * is any text)")
    add.add_argument("--resource-origin", action="append", default=[],
                     help="extra origin allowed for images, styles and fonts (a CDN)")
    add.add_argument("--no-ui", action="store_true",
                     help="no built-in chat window: the brand drives co-browsing through the "
                          "tag's JavaScript API (the frame with its X still shows)")
    add.add_argument("--proxy", default="fonts",
                     help="what the replica loads through the server's resource proxy "
                          "(/replica-assets/): a comma-separated list of fonts, styles, "
                          "images, or none (default: fonts; fonts need it unless the brand "
                          "sends CORS headers)")
    site.add_parser("list", help="list sites")
    rm = site.add_parser("remove", help="remove a site")
    rm.add_argument("site_id")

    integ = kinds.add_parser("integration", help="manage integrations (messaging platforms)"
                             ).add_subparsers(dest="action", required=True)
    add = integ.add_parser("add", help="add an integration, or give one new credentials: prints "
                                       "'api key: KEY' and 'webhook secret: SECRET' once")
    add.add_argument("name")
    add.add_argument("--webhook", default="", help="URL the signed webhooks are POSTed to")
    integ.add_parser("list", help="list integrations (never their keys)")
    rm = integ.add_parser("remove", help="remove an integration: its key stops working")
    rm.add_argument("name")
    audit = kinds.add_parser("audit", help="the audit trail of co-browse sessions (no page "
                             "content; needs Redis)").add_subparsers(dest="action", required=True)
    ls = audit.add_parser("list", help="co-browse attempts, oldest first")
    ls.add_argument("--since", help="only those started since: 7d, 12h, 30m or an ISO date")
    ls.add_argument("--agent", help="only this agent's")
    ls.add_argument("--json", action="store_true", help="one JSON object a line")
    show = audit.add_parser("show", help="one attempt, step by step, with its counts")
    show.add_argument("ref", metavar="SESSION", help="a session id (s_...) or invitation id (i_...)")
    show.add_argument("--json", action="store_true", help="the whole record as JSON")
    return parser


def run(argv: list[str], stdin=sys.stdin, stdout=sys.stdout) -> int:
    args = _parser().parse_args(argv)
    cfg = config_mod.load()
    broker = create_broker(cfg.redis_url or None)
    try:
        if args.kind == "audit":
            from cobrowse.audit_cli import run_audit

            return run_audit(args, cfg, broker, stdout)
        directory = make_directory(cfg, broker)
        return _dispatch(args, directory, stdin, stdout)
    finally:
        broker.close()


def _dispatch(args, directory, stdin, stdout) -> int:
    if args.kind == "agent" and args.action == "add":
        password = stdin.readline().rstrip("\r\n")
        if len(password) < 8:
            raise CobrowseError("the password must have at least 8 characters", code="weak")
        old = directory.agent(args.name)
        existed = old is not None
        # A single sign-on agent given a password stays linked to its account.
        directory.put_agent(Agent(name=args.name, password_hash=hash_password(password),
                                  display=args.display or args.name,
                                  sso_subject=old.sso_subject if old else "",
                                  supervisor=(old.supervisor if old else False)
                                  if args.supervisor is None else args.supervisor))
        print(f"agent {args.name} {'updated' if existed else 'added'}", file=stdout)
    elif args.kind == "agent" and args.action == "list":
        for agent in directory.agents():
            sso = "\tsingle sign-on" if agent.sso_subject else ""
            role = "\tsupervisor" if agent.supervisor else ""
            print(f"{agent.name}\t{agent.display}{role}{sso}", file=stdout)
    elif args.kind == "agent" and args.action == "remove":
        if not directory.remove_agent(args.name):
            raise CobrowseError(f"no agent named {args.name!r}", code="unknown")
        print(f"agent {args.name} removed", file=stdout)
    elif args.kind == "integration":
        return _integration(args, Integrations(directory.store), stdout)
    elif args.kind == "site" and args.action == "add":
        directory.put_site(Site(id=args.site_id, origins=args.origin, mask=args.mask,
                                resource_origins=args.resource_origin, private=args.private,
                                unmask=args.unmask, no_control=args.no_control,
                                pause=args.pause, ui=not args.no_ui,
                                proxy=[args.proxy]))
        print(f"site {args.site_id} saved", file=stdout)
    elif args.kind == "site" and args.action == "list":
        for site in directory.sites():
            print(json.dumps({"id": site.id, "origins": site.origins, "mask": site.mask,
                              "resource_origins": site.resource_origins,
                              "private": site.private, "unmask": site.unmask,
                              "no_control": site.no_control, "pause": site.pause, "ui": site.ui,
                              "proxy": site.proxy}), file=stdout)
    elif args.kind == "site" and args.action == "remove":
        if not directory.remove_site(args.site_id):
            raise CobrowseError(f"no site named {args.site_id!r}", code="unknown")
        print(f"site {args.site_id} removed", file=stdout)
    return 0


def _integration(args, integrations: Integrations, stdout) -> int:
    if args.action == "add":
        item, key = integrations.add(args.name, args.webhook)
        print(f"integration {item.name} saved", file=stdout)
        print(f"api key: {key}", file=stdout)
        print(f"webhook secret: {item.secret}", file=stdout)
    elif args.action == "list":
        for item in integrations.all():
            print(f"{item.name}\t{item.webhook or '-'}", file=stdout)
    elif args.action == "remove":
        if not integrations.remove(args.name):
            raise CobrowseError(f"no integration named {args.name!r}", code="unknown")
        print(f"integration {args.name} removed", file=stdout)
    return 0


def main(argv: list[str] | None = None) -> int:
    try:
        return run(sys.argv[1:] if argv is None else argv)
    except CobrowseError as err:
        print(f"cobrowse: {err.message}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
