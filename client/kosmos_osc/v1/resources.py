"""``openstack gslb [pool|member|monitor|webhook] create|list|show|set|delete``.

One table says, per resource, its path, list columns and options; the command
classes are made from it (``CreateGslb``, ``ListPool``, ``SetMember``...), each
with the usual output formats (``-f json|yaml|value|table``). Names work
wherever an id does (exactly one must match).
"""
from __future__ import annotations

import argparse
from dataclasses import dataclass, field
from typing import Any, Callable

from osc_lib import exceptions
from osc_lib.command import command

from kosmos_osc.plugin import noauth

from kosmos_osc.v1.columns import one, shown

Convert = Callable[[Any, Any], Any]   # (client, parsed value) -> API value


@dataclass(frozen=True)
class Opt:
    field: str
    flag: str
    help: str
    type: Callable[[str], Any] = str
    repeat: bool = False
    required: bool = False            # on create
    choices: tuple[str, ...] = ()
    convert: Convert | None = None    # names to ids, "pool:priority" to an object


@dataclass(frozen=True)
class Kind:
    name: str                         # gslb, pool, member, monitor, webhook
    title: str                        # the class name part: Gslb, Pool, ...
    key: str                          # the list body's key
    path: str                         # /v1/pools/{pool}/pool_members
    columns: tuple[str, ...]
    opts: tuple[Opt, ...]
    parent: "Kind | None" = None      # members live in a pool
    extra: dict[str, Any] = field(default_factory=dict)


def _pool_ref(client: Any, value: str) -> dict[str, Any]:
    ref, _, priority = value.rpartition(":") if ":" in value else (value, "", "1")
    try:
        prio = int(priority)
    except ValueError:
        raise exceptions.CommandError(
            f"--pool {value!r}: the priority after ':' is a number") from None
    return {"pool_id": client.find(POOL.path, POOL.key, ref)["id"], "priority": prio}


def _monitor_ref(client: Any, value: str) -> str:
    return client.find(MONITOR.path, MONITOR.key, value)["id"]


def _enabled(_client: Any, value: str) -> bool:
    return value == "enable"


COMMON = (Opt("description", "--description", "A description"),)

MONITOR = Kind("monitor", "Monitor", "monitors", "/v1/monitors",
               ("id", "name", "type", "delay", "timeout", "max_retries", "max_retries_down"),
               COMMON + (
    Opt("type", "--type", "Probe type: HTTP, HTTPS, TCP, PING or an installed probe's name",
        required=True),
    Opt("delay", "--delay", "Seconds between probes", int, required=True),
    Opt("timeout", "--timeout", "Seconds a probe may take", int, required=True),
    Opt("max_retries", "--max-retries", "Successes to count as up", int),
    Opt("max_retries_down", "--max-retries-down", "Failures to count as down", int),
    Opt("recheck_delay", "--recheck-delay", "Seconds between rechecks of a suspect", float),
    Opt("port", "--port", "Probe this port instead of the member's", int),
    Opt("http_method", "--http-method", "HTTP method of HTTP(S) probes"),
    Opt("url_path", "--url-path", "Path HTTP(S) probes request"),
    Opt("expected_codes", "--expected-code", "Accepted status, e.g. 200 or 200-299 (repeat)",
        repeat=True),
))

POOL = Kind("pool", "Pool", "pools", "/v1/pools",
            ("id", "name", "operating_status", "monitor_ids"), COMMON + (
    Opt("monitor_ids", "--monitor", "Monitor name or id (repeat)", repeat=True,
        convert=lambda c, vs: [_monitor_ref(c, v) for v in vs]),
    Opt("regions", "--region", "Checker region probing the pool (repeat; default all)",
        repeat=True),
    Opt("client_subnets", "--client-subnet", "Client network (CIDR) it serves under GEO "
        "routing (repeat)", repeat=True),
))

MEMBER = Kind("member", "Member", "pool_members", "/v1/pools/{pool}/pool_members",
              ("id", "name", "address", "port", "region", "weight", "operating_status"),
              COMMON + (
    Opt("address", "--address", "The endpoint's IP address"),
    Opt("port", "--port", "The endpoint's port", int, required=True),
    Opt("region", "--region", "The region the endpoint is in"),
    Opt("neutron_id", "--neutron-port", "A Neutron port whose addresses to follow"),
    Opt("weight", "--weight", "Share of answers under WEIGHTED routing", int),
    Opt("admin_state_up", "--state", "enable or disable", choices=("enable", "disable"),
        convert=_enabled),
), parent=POOL)

GSLB = Kind("gslb", "Gslb", "gslbs", "/v1/gslbs",
            ("id", "name", "fqdn", "routing", "answers", "publish_status", "operating_status"),
            COMMON + (
    Opt("fqdn", "--fqdn", "The name answered, with its trailing dot", required=True),
    Opt("zone_name", "--zone", "The DNS zone it is in, with its trailing dot", required=True),
    Opt("ttl", "--ttl", "TTL of the answers (seconds)", int),
    Opt("pools", "--pool", "POOL[:PRIORITY] (repeat; priority 1 first)", repeat=True,
        convert=lambda c, vs: [_pool_ref(c, v) for v in vs]),
    Opt("routing", "--routing", "Steering", choices=("PRIORITY", "WEIGHTED", "GEO")),
    Opt("all_down", "--all-down", "Answer when no member is up",
        choices=("ALL", "LAST_KNOWN", "NONE")),
    Opt("max_answers", "--max-answers", "Most addresses in one answer", int),
    Opt("slow_start", "--slow-start", "Seconds a returning member ramps up", int),
    Opt("appliance", "--appliance", "The DNS appliance serving it"),
))

WEBHOOK = Kind("webhook", "Webhook", "webhooks", "/v1/webhooks",
               ("id", "name", "url", "events"), COMMON + (
    Opt("url", "--url", "Where deliveries are POSTed", required=True),
    Opt("events", "--event", "Event to deliver (repeat; default all)", repeat=True,
        choices=("gslb.answer.changed", "member.status.changed", "gslb.publish.failed",
                 "gslb.breaker.held")),
    Opt("secret", "--secret", "Shared secret signing each delivery", required=True),
))

KINDS = (GSLB, POOL, MEMBER, MONITOR, WEBHOOK)


def _add_options(parser: argparse.ArgumentParser, kind: Kind, create: bool) -> None:
    for o in kind.opts:
        kwargs: dict[str, Any] = {"dest": o.field, "help": o.help, "metavar": f"<{o.field}>"}
        if o.choices:
            kwargs["choices"] = o.choices
            kwargs.pop("metavar")
        if o.repeat:
            kwargs["action"] = "append"
        else:
            kwargs["type"] = o.type
        if create and o.required:
            kwargs["required"] = True
        parser.add_argument(o.flag, **kwargs)


def _body(client: Any, kind: Kind, args: argparse.Namespace) -> dict[str, Any]:
    body: dict[str, Any] = {}
    for o in kind.opts:
        value = getattr(args, o.field, None)
        if value is None:
            continue
        body[o.field] = o.convert(client, value) if o.convert else value
    return body


def _collection(client: Any, kind: Kind, args: argparse.Namespace) -> str:
    if kind.parent is None:
        return kind.path
    pool = client.find(kind.parent.path, kind.parent.key, args.parent)
    return kind.path.format(pool=pool["id"])


def _parent_arg(parser: argparse.ArgumentParser, kind: Kind) -> None:
    if kind.parent is not None:
        parser.add_argument("parent", metavar=f"<{kind.parent.name}>",
                            help=f"The {kind.parent.name} (name or id)")


class _Base:
    @property
    def auth_required(self) -> bool:   # osc-lib asks before setting up Keystone auth
        return not noauth(getattr(self.app.options, "os_auth_type", None)
                          or getattr(self.app.options, "auth_type", None))

    kind: Kind

    @property
    def client(self) -> Any:
        return self.app.client_manager.gslb


class _Create(_Base, command.ShowOne):
    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        _parent_arg(parser, self.kind)
        parser.add_argument("name", metavar="<name>", help=f"The new {self.kind.name}'s name")
        _add_options(parser, self.kind, create=True)
        return parser

    def take_action(self, args):
        body = {"name": args.name, **_body(self.client, self.kind, args)}
        return one(self.client.request("POST", _collection(self.client, self.kind, args), body))


class _List(_Base, command.Lister):
    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        _parent_arg(parser, self.kind)
        parser.add_argument("--name", help="Only those with this name")
        parser.add_argument("--all-projects", action="store_true",
                            help="Every project's (admin)")
        return parser

    def take_action(self, args):
        params: dict[str, Any] = {}
        if args.name:
            params["name"] = args.name
        if args.all_projects:
            params["all_projects"] = "true"
        items = self.client.all(_collection(self.client, self.kind, args), self.kind.key, params)
        cols = list(self.kind.columns)
        return cols, [shown(x, cols)[1] for x in items]


class _Show(_Base, command.ShowOne):
    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        _parent_arg(parser, self.kind)
        parser.add_argument("ref", metavar=f"<{self.kind.name}>", help="Name or id")
        return parser

    def take_action(self, args):
        return one(self.client.find(_collection(self.client, self.kind, args), self.kind.key,
                                    args.ref))


class _Set(_Base, command.ShowOne):
    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        _parent_arg(parser, self.kind)
        parser.add_argument("ref", metavar=f"<{self.kind.name}>", help="Name or id")
        parser.add_argument("--name", dest="new_name", help="A new name")
        _add_options(parser, self.kind, create=False)
        return parser

    def take_action(self, args):
        collection = _collection(self.client, self.kind, args)
        current = self.client.find(collection, self.kind.key, args.ref)
        body = _body(self.client, self.kind, args)
        if args.new_name is not None:
            body["name"] = args.new_name
        if not body:
            raise exceptions.CommandError("nothing to change: give at least one option")
        return one(self.client.request("PUT", f"{collection}/{current['id']}", body))


class _Delete(_Base, command.Command):
    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        _parent_arg(parser, self.kind)
        parser.add_argument("refs", metavar=f"<{self.kind.name}>", nargs="+",
                            help="Name or id (repeat)")
        return parser

    def take_action(self, args):
        collection = _collection(self.client, self.kind, args)
        failed = []
        for ref in args.refs:
            try:
                self.client.request("DELETE", f"{collection}/"
                                    f"{self.client.find(collection, self.kind.key, ref)['id']}")
            except exceptions.CommandError as exc:
                failed.append(f"{ref}: {exc}")
        if failed:
            raise exceptions.CommandError("; ".join(failed))


def _make(verb: str, base: type, kind: Kind) -> type:
    doc = {"Create": f"Create a {kind.name}", "List": f"List {kind.key.replace('_', ' ')}",
           "Show": f"Show a {kind.name}", "Set": f"Change a {kind.name}",
           "Delete": f"Delete {kind.key.replace('_', ' ')}"}[verb]
    return type(f"{verb}{kind.title}", (base,), {"kind": kind, "__doc__": doc,
                                                 "__module__": __name__})


for _kind in KINDS:
    for _verb, _base in (("Create", _Create), ("List", _List), ("Show", _Show), ("Set", _Set),
                         ("Delete", _Delete)):
        _cls = _make(_verb, _base, _kind)
        globals()[_cls.__name__] = _cls
