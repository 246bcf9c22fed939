"""The ``cobrowse`` command for operators: agents and sites.

    cobrowse agent add NAME --password-stdin [--display "Full Name"]
    cobrowse agent list | cobrowse agent remove NAME
    cobrowse site add SITE_ID --origin URL [--origin URL ...] [--mask SELECTOR ...]
                      [--resource-origin URL ...] [--proxy fonts,styles,images|none]
    cobrowse site list | cobrowse site remove SITE_ID

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
    agent.add_parser("list", help="list agents")
    rm = agent.add_parser("remove", help="remove an agent")
    rm.add_argument("name")

    site = kinds.add_parser("site", help="manage sites").add_subparsers(dest="action", required=True)
    add = site.add_parser("add", help="add or replace a site")
    add.add_argument("site_id")
    add.add_argument("--origin", action="append", required=True,
                     help="an origin whose pages carry the tag, e.g. https://www.brand.example")
    add.add_argument("--mask", action="append", default=[],
                     help="CSS selector of fields or elements to mask (repeatable)")
    add.add_argument("--resource-origin", action="append", default=[],
                     help="extra origin allowed for images, styles and fonts (a CDN)")
    add.add_argument("--proxy", default="fonts",
                     help="what the replica loads through the server's resource proxy "
                          "(/replica-assets/): a comma-separated list of fonts, styles, "
                          "images, or none (default: fonts; fonts need it unless the brand "
                          "sends CORS headers)")
    site.add_parser("list", help="list sites")
    rm = site.add_parser("remove", help="remove a site")
    rm.add_argument("site_id")
    return parser


def run(argv: list[str], stdin=sys.stdin, stdout=sys.stdout) -> int:
    args = _parser().parse_args(argv)
    cfg = config_mod.load()
    broker = create_broker(cfg.redis_url or None)
    try:
        directory = make_directory(cfg, broker)
        return _dispatch(args, directory, stdin, stdout)
    finally:
        broker.close()


def _dispatch(args, directory, stdin, stdout) -> int:
    if args.kind == "agent" and args.action == "add":
        password = stdin.readline().rstrip("\r\n")
        if len(password) < 8:
            raise CobrowseError("the password must have at least 8 characters", code="weak")
        existed = directory.agent(args.name) is not None
        directory.put_agent(Agent(name=args.name, password_hash=hash_password(password),
                                  display=args.display or args.name))
        print(f"agent {args.name} {'updated' if existed else 'added'}", file=stdout)
    elif args.kind == "agent" and args.action == "list":
        for agent in directory.agents():
            print(f"{agent.name}\t{agent.display}", file=stdout)
    elif args.kind == "agent" and args.action == "remove":
        if not directory.remove_agent(args.name):
            raise CobrowseError(f"no agent named {args.name!r}", code="unknown")
        print(f"agent {args.name} removed", file=stdout)
    elif args.kind == "site" and args.action == "add":
        directory.put_site(Site(id=args.site_id, origins=args.origin, mask=args.mask,
                                resource_origins=args.resource_origin,
                                proxy=[args.proxy]))
        print(f"site {args.site_id} saved", file=stdout)
    elif args.kind == "site" and args.action == "list":
        for site in directory.sites():
            print(json.dumps({"id": site.id, "origins": site.origins, "mask": site.mask,
                              "resource_origins": site.resource_origins,
                              "proxy": site.proxy}), file=stdout)
    elif args.kind == "site" and args.action == "remove":
        if not directory.remove_site(args.site_id):
            raise CobrowseError(f"no site named {args.site_id!r}", code="unknown")
        print(f"site {args.site_id} removed", file=stdout)
    return 0


def main(argv: list[str] | None = None) -> int:
    try:
        return run(sys.argv[1:] if argv is None else argv)
    except CobrowseError as err:
        print(f"cobrowse: {err.message}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
