"""``openstack gslb status show``, ``history list``, ``appliance list``, ``quota ...``,
``webhook delivery list`` and ``dead letter list``."""
from __future__ import annotations

from typing import Any

from osc_lib import exceptions
from osc_lib.command import command

from kosmos_osc.plugin import noauth

from kosmos_osc.v1.columns import one, shown
from kosmos_osc.v1.resources import GSLB, WEBHOOK


class _View:
    @property
    def auth_required(self) -> bool:   # osc-lib asks before setting up Keystone auth
        return not noauth(getattr(self.app.options, "os_auth_type", None)
                          or getattr(self.app.options, "auth_type", None))

    @property
    def client(self) -> Any:
        return self.app.client_manager.gslb

    def gslb_id(self, ref: str) -> str:
        return self.client.find(GSLB.path, GSLB.key, ref)["id"]


class ShowStatus(_View, command.ShowOne):
    """Show a GSLB's answer, failover time, and its members' verdicts per region"""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument("gslb", metavar="<gslb>", help="Name or id")
        return parser

    def take_action(self, args):
        return one(self.client.request("GET", f"/v1/gslbs/{self.gslb_id(args.gslb)}/status"))


class ListHistory(_View, command.Lister):
    """List a GSLB's answer, member and verdict changes, newest first, with their reasons"""

    COLUMNS = ["time", "subject_type", "from_state", "to_state", "reason"]

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument("gslb", metavar="<gslb>", help="Name or id")
        parser.add_argument("--limit", type=int, default=50, help="At most this many (50)")
        parser.add_argument("--since", help="Only changes at or after (RFC 3339)")
        parser.add_argument("--long", action="store_true", help="With evidence and ids")
        return parser

    def take_action(self, args):
        params: dict[str, Any] = {"limit": args.limit}
        if args.since:
            params["since"] = args.since
        body = self.client.request("GET", f"/v1/gslbs/{self.gslb_id(args.gslb)}/history",
                                   params=params)
        cols = self.COLUMNS + (["member_id", "evidence"] if args.long else [])
        return cols, [shown(x, cols)[1] for x in body.get("history", body.get("items", []))]


class ListAppliances(_View, command.Lister):
    """List the installed DNS appliances and the steering each serves"""

    def take_action(self, args):
        cols = ["name", "default", "routing", "max_answers", "per_query"]
        body = self.client.request("GET", "/v1/appliances")
        return cols, [shown(x, cols)[1] for x in body["appliances"]]


QUOTAS = ("gslbs", "pools", "members", "monitors", "webhooks")


class ShowQuota(_View, command.ShowOne):
    """Show a project's quotas and use (default: your own)"""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument("--project", help="Another project's id (admin)")
        return parser

    def take_action(self, args):
        path = f"/v1/quotas/{args.project}" if args.project else "/v1/quotas"
        return one(self.client.request("GET", path))


class SetQuota(_View, command.ShowOne):
    """Set a project's quotas (admin); -1 is unlimited, 'default' the deployment's default"""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument("project", metavar="<project>", help="The project's id")
        for q in QUOTAS:
            parser.add_argument(f"--{q}", metavar="<n|default>", help=f"Most {q}")
        return parser

    def take_action(self, args):
        values: dict[str, Any] = {}
        for q in QUOTAS:
            raw = getattr(args, q)
            if raw is None:
                continue
            if raw == "default":
                values[q] = None
                continue
            try:
                values[q] = int(raw)
            except ValueError:
                raise exceptions.CommandError(f"--{q}: a number, -1 or 'default'") from None
        if not values:
            raise exceptions.CommandError("nothing to change: give at least one quota")
        return one(self.client.request("PUT", f"/v1/quotas/{args.project}", values))


class ResetQuota(_View, command.Command):
    """Put a project's quotas back to the deployment's defaults (admin)"""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument("project", metavar="<project>", help="The project's id")
        return parser

    def take_action(self, args):
        self.client.request("DELETE", f"/v1/quotas/{args.project}")


class ListDeliveries(_View, command.Lister):
    """List a webhook's latest deliveries and their outcome"""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument("webhook", metavar="<webhook>", help="Name or id")
        parser.add_argument("--limit", type=int, default=50, help="At most this many (50)")
        return parser

    def take_action(self, args):
        hook = self.client.find(WEBHOOK.path, WEBHOOK.key, args.webhook)
        body = self.client.request("GET", f"/v1/webhooks/{hook['id']}/deliveries",
                                   params={"limit": args.limit})
        cols = ["id", "event_type", "subject", "status", "attempts", "status_code", "created_at"]
        return cols, [shown(x, cols)[1] for x in body.get("deliveries", [])]


class ListDeadLetters(_View, command.Lister):
    """List events the platform gave up delivering (admin)"""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument("--limit", type=int, default=100, help="At most this many (100)")
        return parser

    def take_action(self, args):
        body = self.client.request("GET", "/v1/dead_letters", params={"limit": args.limit})
        cols = ["received_at", "event_type", "destination", "error_code", "error", "event_id"]
        return cols, [shown(x, cols)[1] for x in body["dead_letters"]]
