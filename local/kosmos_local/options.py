"""The runner's options and the ``KOSMOS_`` environment they give the functions."""
from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

APPLIANCES = ("local", "powerdns", "designate")
AUTH = ("noauth", "keystone")
DEFAULT_DB = "sqlite:///kosmos.sqlite3"


@dataclass
class RunnerOptions:
    """What ``local/runner.py`` was asked to run (see its ``--help``)."""

    functions_dir: Path
    host: str = "127.0.0.1"
    port: int = 8080
    dns_port: int = 5353
    regions: list[str] = field(default_factory=lambda: ["RegionOne", "RegionTwo"])
    db: str = DEFAULT_DB
    appliance: str = "local"
    auth: str = "noauth"
    tick: float = 1.0
    reconcile: float = 300.0       # seconds, as production's cron (infra: reconcile_period)
    conductor_port: int = 0
    conductor_instances: int = 0   # 0: as many as cores (2 at most) on a server database, 1 on SQLite
    checker_instances: int = 0     # per region; 0: the cores shared out over the regions
    checker_nice: int = 10         # the checkers yield the CPU to the functions applying results
    cut_regions: list[str] = field(default_factory=list)
    fail_regions: list[str] = field(default_factory=list)
    allow_loopback: bool = True    # the demo's endpoints are on 127.0.0.2-4
    log_format: str = "text"
    log_level: str = "INFO"

    def __post_init__(self) -> None:
        if not self.regions or len(set(self.regions)) != len(self.regions):
            raise ValueError("--regions: give one or more distinct region names")
        for r in (*self.cut_regions, *self.fail_regions):
            if r not in self.regions:
                raise ValueError(f"--cut-region/--fail-region: {r!r} is not in --regions")
        if self.appliance not in APPLIANCES:
            raise ValueError(f"--appliance: one of {', '.join(APPLIANCES)}")
        if self.auth not in AUTH:
            raise ValueError(f"--auth: one of {', '.join(AUTH)}")
        if not self.tick > 0:
            raise ValueError("--tick: must be a positive number of seconds")
        if not self.reconcile >= self.tick:
            raise ValueError("--reconcile: must be at least one --tick")
        if not 0 <= self.conductor_instances <= 16:
            raise ValueError("--conductor-instances: from 1 to 16 (0: chosen for the database)")
        if not 0 <= self.checker_instances <= 16:
            raise ValueError("--checker-instances: from 1 to 16 (0: the cores over the regions)")
        if not 0 <= self.checker_nice <= 19:
            raise ValueError("--checker-nice: from 0 (none) to 19")

    @property
    def conductors(self) -> int:
        """Conductor processes to run. The platform scales the conductor out under load;
        one process here would be the whole deployment's bottleneck (its database calls
        and JSON work hold one interpreter lock). SQLite takes one writer at a time, so
        a second process would only wait on its lock."""
        if self.conductor_instances:
            return self.conductor_instances
        if self.db.startswith("sqlite"):
            return 1
        return max(1, min(2, os.cpu_count() or 1))

    @property
    def checkers(self) -> int:
        """Checker processes per region. One process probes on one core (its batches share
        one interpreter lock), about 5,000 plain HTTP checks a second on the development
        machine; a region with more is cut into several batches (``batch_size``,
        ``batch_max_rate``) that the platform runs on several instances. Here: the cores
        shared out over the regions, so one region can use them all and three do not
        start more processes than there are cores to run them."""
        if self.checker_instances:
            return self.checker_instances
        return max(1, min(4, (os.cpu_count() or 1) // len(self.regions)))

    @property
    def reconcile_every(self) -> int:
        """Ticks between two reconciles."""
        return max(1, round(self.reconcile / self.tick))


def function_env(opts: RunnerOptions, conductor_url: str, local_dns_url: str | None,
                 broker_url: str = "", signing_key: str | None = None) -> dict[str, str]:
    """The ``KOSMOS_`` settings every function of this runner shares.

    The checker's region is the one setting that differs per function
    instance; the platform gives it to each region's checker separately.
    Functions emit events as in production: CloudEvents over HTTP to the
    platform's broker (``broker_url``).
    """
    env = {
        "KOSMOS_DATABASE_URL": opts.db,
        "KOSMOS_CONDUCTOR_URL": conductor_url,
        "KOSMOS_AUTH_STRATEGY": opts.auth,
        "KOSMOS_EMITTER": "http",
        "KOSMOS_BROKER_URL": broker_url,
        "KOSMOS_REGIONS": json.dumps(opts.regions),
        "KOSMOS_REGION": opts.regions[0],
        "KOSMOS_ALLOW_LOOPBACK": "true" if opts.allow_loopback else "false",
        "KOSMOS_APPLIANCE": opts.appliance,
        "KOSMOS_LOG_FORMAT": opts.log_format,
        "KOSMOS_LOG_LEVEL": opts.log_level,
    }
    if local_dns_url:
        env["KOSMOS_LOCAL_DNS_URL"] = local_dns_url
    if signing_key:
        env["KOSMOS_EVENT_SIGNING_KEY"] = signing_key
    return env
