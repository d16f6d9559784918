"""The platform that runs the four functions on one machine.

Wiring, as production has it:
- each function instance in a process of its own (``kosmos_local.serve``), as
  a serverless platform runs each in its own container: the api, the
  conductor on the ``--db`` database, the engine, one checker per simulated
  region (its region in its environment), the checkers at a lower CPU
  priority (``--checker-nice``): they make the results and the engine and
  conductor apply them, and a result applied late is a probe wasted, so on
  one machine the checkers yield the cores, as on the platform each region's
  checker runs on nodes of its own;
- the api function serving ``--host``/``--port`` itself, as the platform's ingress
  hands requests straight to it, with the runner's admin endpoints under
  ``/_runner`` (forwarded from the api's process to the runner's admin server);
- a broker: functions emit CloudEvents over HTTP to its ingress, and the
  in-process queue delivers them to the subscribing function over HTTP, with
  retries; results cross the region simulation on the way;
- the cron emulator; the embedded DNS responder for the ``local`` appliance.
"""
from __future__ import annotations

import errno
import secrets

import os
import threading
import time
from typing import Any

from kosmos.config import Settings, reset_settings
from kosmos.contracts.events import (CHECK_BATCH, CHECK_RESULTS, CHECK_TICK, ENGINE_DECIDE,
                                     ENGINE_RECONCILE)
from kosmos_local import hooks
from kosmos_local.cron import Cron
from kosmos_local.events import Envelope
from kosmos_local.ingress import AdminApp, Server
from kosmos_local.options import RunnerOptions, function_env
from kosmos_local.procs import BrokerApp, FunctionProcess, dead_letter_sink, http_delivery
from kosmos_local.queue import EventQueue
from kosmos_local.regions import RegionModes
from kosmos_local.watch import HistoryWatch, ResultsLog
from kosmos.logs import get_logger

log = get_logger("kosmos.local.runner")

# name → (target, signature type), as the deployment declares them.
FUNCTIONS = {
    "api": ("kosmos_api", "http"),
    "conductor": ("kosmos_conductor", "http"),
    "checker": ("kosmos_checker", "cloudevent"),
    "engine": ("kosmos_engine", "cloudevent"),
}
ENGINE = "engine"
#: Reconciles reach the same engine function through a lane of their own, as a
#: separate trigger would: results and users' changes never wait behind them.
ENGINE_RECONCILE_LANE = "engine-reconcile"
#: Deliveries at once per lane (a function's instances x their concurrency, in production).
#: Eight engine workers, as production runs several engine instances: results are
#: applied side by side, a quorum two of them complete together is still seen (each reads
#: its members again after writing), and the circuit breaker's hold stands (every publish
#: that removes is judged on the stored state; a hold is recorded once). An event spends
#: most of its time waiting for the conductor and PowerDNS, so three workers used a fifth
#: of a core and fell behind: at 300 GSLBs, an endpoint's death left 200 results events
#: waiting and the lane's lag at 17 s; with eight, under a second in steady state.
ENGINE_WORKERS = 8
#: A batch holds its worker for its window, a recheck batch for several seconds (the
#: platform runs as many at once as arrive). At 300 GSLBs, an endpoint's death kept 16
#: busy in every region with more waiting, and normal batches arrived seconds late.
CHECKER_WORKERS = 32
#: seconds between reads of the history for the log of verdicts and answers (each reads
#: the last few seconds again: ``kosmos_local.watch.HistoryWatch``)
HISTORY_POLL = 1.0


def checker_name(region: str) -> str:
    return f"checker-{region}"


def tick_lane(region: str) -> str:
    """Ticks reach a region's checker through a lane of their own, as production's cron
    trigger is separate from the batches' trigger: a tick never waits for a worker that
    batches hold (they run for their window, rechecks for several seconds)."""
    return f"{checker_name(region)}-ticks"


def subscriber_for(env: Envelope, regions: list[str]) -> str | None:
    """Which function an event goes to (None: nobody subscribes to it)."""
    if env.type == CHECK_TICK:
        return tick_lane(env.region) if env.region in regions else None
    if env.type == CHECK_BATCH:
        return checker_name(env.region) if env.region in regions else None
    if env.type in (CHECK_RESULTS, ENGINE_DECIDE):
        return ENGINE
    if env.type == ENGINE_RECONCILE:
        return ENGINE_RECONCILE_LANE
    return None


class Platform:
    """Start and stop everything ``local/runner.py`` runs."""

    def __init__(self, opts: RunnerOptions):
        self.opts = opts
        self.regions = RegionModes(opts.regions)
        for r in opts.fail_regions:
            self.regions.set(r, "fail")
        for r in opts.cut_regions:
            self.regions.set(r, "cut")
        self.queue = EventQueue()
        # The deployment's event signing key (Terraform generates one): every function signs
        # what it emits and the checker and engine drop what is not signed with it.
        self.signing_key = secrets.token_hex(32)
        self.results_log = ResultsLog()
        self.functions: dict[str, FunctionProcess] = {}
        self.cron: Cron | None = None
        self.admin: Server | None = None
        self.broker: Server | None = None
        self.dns: Any = None
        self._watch: HistoryWatch | None = None
        self._stop = threading.Event()
        self._watch_thread: threading.Thread | None = None

    # ------------------------------------------------------------------ routing
    def emit(self, env: Envelope) -> None:
        """Route one event into the queue, through the region simulation."""
        if self._stop.is_set():
            return  # batches still finishing after a stop emit into the void
        name = subscriber_for(env, self.opts.regions)
        if name is None:
            log.warning("no function subscribes to %s; dropped", env.type)
            return
        if name == ENGINE and env.type == CHECK_RESULTS:
            mode = self.regions.get(env.region or "")
            routed = self.regions.apply(env)
            self.results_log.observe(routed or env, "" if mode == "ok" else f" [region {mode}]")
            if routed is None:
                return
            # A failing region's results are rewritten as its checker would have sent them,
            # signed as its checker signs.
            env = routed if routed is env else routed.signed(self.signing_key)
        self.queue.put(name, env)

    # ------------------------------------------------------------------ lifecycle
    def start(self) -> None:
        opts = self.opts
        self.broker = Server(opts.host, 0, BrokerApp(self.emit), "broker").start()
        self.dns = (_listening(lambda: hooks.start_dns(opts), "DNS", opts.host, opts.dns_port,
                               "--dns-port") if opts.appliance == "local" else None)
        conductor = self._function("conductor", "conductor", {}, port=opts.conductor_port,
                                   instances=opts.conductors)
        env = function_env(opts, conductor.url, getattr(self.dns, "control_url", None),
                           self.broker.url, self.signing_key)
        os.environ.update(env)
        reset_settings()
        hooks.configure_logging(opts)
        self.functions["conductor"] = conductor
        # What exhausts its retries goes to the conductor's dead-letter sink, as in production.
        self.queue.on_dead = dead_letter_sink(conductor.url)
        conductor.env.update(env)
        admin = AdminApp(self.regions, self.queue, tick=lambda: self.cron and self.cron.fire())
        self.admin = Server(opts.host, 0, admin, "admin").start()
        # The public port, bound before anything starts so a taken port fails at once. The
        # api's process serves it: a request costs no hop through this process (whose
        # interpreter lock the queue's deliveries share), as none costs one through a
        # platform's ingress; it forwards /_runner/... here.
        self.functions["api"] = _listening(lambda: self._function(
            "api", "api", env, port=opts.port, extra=["--admin-url", self.admin.url]),
            "REST API", opts.host, opts.port, "--port")
        self.functions[ENGINE] = self._function(ENGINE, ENGINE, env)
        for region in opts.regions:
            self.functions[checker_name(region)] = self._function(
                checker_name(region), "checker", {**env, "KOSMOS_REGION": region},
                instances=opts.checkers, extra=["--nice", str(opts.checker_nice)])
        # Every lane exists before any function starts: the api serves (and the conductor
        # emits) while the others are still starting, and a broker takes events from the
        # first. They wait in their lanes until the queue starts delivering.
        # Results are applied ENGINE_WORKERS at a time, as by several engine instances.
        self.queue.subscribe(ENGINE, http_delivery(self.functions[ENGINE].url, 60),
                             workers=ENGINE_WORKERS)
        # Two reconcile workers: a large reconcile's shards are shared, as several
        # engine instances would share them.
        self.queue.subscribe(ENGINE_RECONCILE_LANE,
                             http_delivery(self.functions[ENGINE].url, 600), workers=2)
        for region in opts.regions:
            # A batch probes for the length of a tick, a recheck batch for several seconds:
            # the platform runs as many at once as arrive. With four workers, a failover's
            # recheck batches held them all and the normal ticks waited past their window.
            fn = self.functions[checker_name(region)]
            self.queue.subscribe(checker_name(region),
                                 http_delivery(fn.url, 2 * opts.tick + 60),
                                 workers=CHECKER_WORKERS)
            self.queue.subscribe(tick_lane(region), http_delivery(fn.url, opts.tick + 60),
                                 workers=2)
        for fn in self.functions.values():
            fn.start()
        for fn in self.functions.values():
            fn.wait_ready()

        self.queue.start()

        # Production's ticks and reconciles are the platform's pings, taken unsigned; the
        # runner sends them as plain Kosmos events, so it signs them as the functions do.
        self.cron = Cron(opts.regions, opts.tick, lambda env: self.emit(env.signed(self.signing_key)),
                         reconcile_every=opts.reconcile_every)
        self.cron.start()
        self._watch = HistoryWatch(hooks.conductor_call(Settings()))
        self._watch_thread = threading.Thread(target=self._watch_loop, name="watch", daemon=True)
        self._watch_thread.start()
        log.info("Kosmos local runner: api on %s, conductor on %s, regions %s, appliance %s%s",
                 self.functions["api"].url, conductor.url, ",".join(opts.regions), opts.appliance,
                 f", DNS on {opts.host}:{self.dns.dns_port}" if self.dns else "")

    def _function(self, name: str, kind: str, env: dict[str, str], port: int = 0,
                  instances: int = 1, extra: list[str] | None = None) -> FunctionProcess:
        target, sig = FUNCTIONS[kind]
        return FunctionProcess(name, self.opts.functions_dir / kind / "main.py", target, sig,
                               self.opts.host, env, port=port, instances=instances, extra=extra)

    def _lag_check(self, last_warned: float) -> float:
        """Warn (at most every 10 s) when results wait longer than a tick for the engine."""
        lane = self.queue.lanes().get(ENGINE, {})
        now = time.monotonic()
        if lane.get("lag_s", 0) > max(2.0, self.opts.tick) and now - last_warned > 10:
            log.warning("engine lag: the oldest result has waited %.1fs (%d waiting)",
                        lane["lag_s"], lane["waiting"])
            return now
        return last_warned

    def _watch_loop(self) -> None:
        warned = polled = 0.0
        while not self._stop.wait(min(self.opts.tick, 1.0) / 2):
            for fn in self.functions.values():   # a crashed instance is replaced
                fn.revive()
            warned = self._lag_check(warned)
            if time.monotonic() - polled < HISTORY_POLL:
                continue
            polled = time.monotonic()
            try:
                self._watch.poll()  # type: ignore[union-attr]
            except Exception as exc:  # the conductor may be briefly busy; say so and go on
                log.debug("watch: %s", exc)

    def stop(self) -> None:
        """Stop taking work, then close servers; safe to call twice."""
        if self._stop.is_set():
            return
        self._stop.set()
        log.info("stopping")
        if self.cron:
            self.cron.stop()
        if "api" in self.functions:   # no new requests
            self.functions["api"].stop()
        # Batches in flight probe until their window ends: let them finish while the
        # conductor they report to is still up.
        if not self.queue.stop(timeout=2 * self.opts.tick + 5):
            log.warning("stopping with deliveries still in flight; they are not retried")
        if self._watch_thread:
            self._watch_thread.join(2)
        # The conductor last: the others may still be finishing a call to it.
        for name in sorted(self.functions, key=lambda n: n == "conductor"):
            self.functions[name].stop()
        if self.broker:
            self.broker.stop()
        if self.admin:
            self.admin.stop()
        if self.dns is not None:
            hooks.stop_dns(self.dns)
        log.info("stopped")


def _listening(start, what: str, host: str, port: int, flag: str):
    """``start()``, or an OSError naming the port and the flag that sets it."""
    try:
        return start()
    except OSError as exc:
        if exc.errno in (errno.EADDRINUSE, errno.EACCES):
            raise OSError(exc.errno, f"the {what} port {host}:{port} is taken ({exc.strerror}); "
                                     f"stop what uses it or choose another with {flag}") from exc
        raise
