"""Deployment settings: environment variables prefixed ``KOSMOS_``.

One flat model, read once per warm function instance by ``get_settings``.
Every setting a function reads is declared here (the Terraform tests check the
functions' environments against these names). Add a field with a default and
a description; never read ``os.environ`` elsewhere for Kosmos settings.
"""
from __future__ import annotations

from functools import lru_cache
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="KOSMOS_", extra="ignore")

    # --- conductor ---------------------------------------------------------
    database_url: str = Field(
        "sqlite:///kosmos.sqlite3",
        description="SQLAlchemy URL; postgresql+pg8000://user:pw@host/db in production.")
    database_pool_size: int = Field(5, ge=1, le=100, description="Connections per warm conductor: opened once its first call has checked the schema, kept open, and the most it opens (calls beyond wait for one).")
    database_auto_migrate: bool = Field(
        True, description="Upgrade the schema on the conductor's first call; production sets false and "
        "runs `python -m kosmos.conductor.migrate upgrade` as a Job before rolling the conductor.")
    conductor_url: str = Field(
        "http://127.0.0.1:8081/", description="Where the api, checker and engine reach the conductor.")
    conductor_timeout: float = Field(10.0, gt=0, description="Seconds per conductor call.")
    conductor_token: str | None = Field(
        None, description="Shared secret the conductor requires in X-Kosmos-Conductor-Token, if set.")
    event_signing_key: str | None = Field(
        None, min_length=32, description="Shared secret that signs every event a function emits; when "
        "set, the checker and engine act only on events signed with it (the platform's pings aside).")

    # --- api ---------------------------------------------------------------
    auth_strategy: Literal["keystone", "noauth"] = Field(
        "keystone", description="keystone validates X-Auth-Token; noauth trusts X-Project-Id/X-Roles.")
    keystone_auth_url: str | None = Field(None, description="Keystone v3 URL used to validate tokens.")
    cloud: str | None = Field(None, description="clouds.yaml entry with the service's own credentials.")
    token_cache_seconds: float = Field(
        300.0, ge=0, le=86_400, description="How long a validated token is trusted before Keystone is "
        "asked again (never past its expiry): the bound on a revoked token still working.")
    policy_file: str | None = Field(None, description="Optional YAML/JSON file overriding policy rules.")
    api_public_url: str | None = Field(None, description="Base URL used in links; default from the request.")
    max_body_bytes: int = Field(1_048_576, ge=1024, description="Largest request body accepted.")

    # --- events ------------------------------------------------------------
    emitter: Literal["http", "local"] = Field(
        "http", description="How events leave a function: http (CloudEvents to broker_url), or "
                            "local (supplied by the host, e.g. tests).")
    broker_url: str | None = Field(None, description="CloudEvents sink / Knative broker URL for http.")

    # --- checker -----------------------------------------------------------
    region: str = Field("RegionOne", description="The region this checker instance probes from.")
    checker_id: str | None = Field(None, description="Identity of this checker; default host+pid.")
    batch_size: int = Field(2000, ge=1, description="Most checks in one kosmos.check.batch.")
    max_concurrency: int = Field(2000, ge=1, description="Most probes in flight at once per batch.")
    batch_max_rate: float = Field(
        4000.0, gt=0, description="Most probes per second one batch is given (sum of 1/delay; "
                                  "an HTTPS probe counts as 6).")
    fold_checks: bool = Field(
        True, description="Send the checks of one probe in a batch as one spec carrying the "
                          "others' ids and thresholds (same_probe). Turn it off on the engines "
                          "and checkers while checkers from before same_probe still run: they "
                          "refuse such batches (a rolling upgrade).")
    results_interval: float = Field(
        1.0, gt=0, le=10, description="Seconds between kosmos.check.results events of a batch.")
    allow_loopback: bool = Field(False, description="Let probes target loopback addresses.")
    allow_link_local: bool = Field(False, description="Let probes target link-local addresses.")
    deny_cidrs: list[str] = Field(default_factory=list, description="Extra ranges probes may never target.")
    allow_cidrs: list[str] = Field(
        default_factory=list, description="Ranges probes may target although not globally routable "
                                          "(e.g. a private GSLB's 10.0.0.0/8); deny_cidrs wins.")

    # --- engine ------------------------------------------------------------
    regions: list[str] = Field(
        default_factory=lambda: ["RegionOne"], description=(
            "All checker regions, in one order everywhere: each checker's probe phase, the "
            "engine's rechecks and breaker suspects, and failover_time count them."))
    quorum: float = Field(0.5, ge=0, lt=1, description="Down when more than this share of fresh regions say so.")
    stale_intervals: float = Field(3.0, gt=0, description="A region's verdict expires after this many delays.")
    circuit_breaker_fraction: float = Field(
        0.5, gt=0, le=1, description="Hold removals while at least this share of all distinct "
                                     "monitored endpoints is down across more than one site.")
    circuit_breaker_min_endpoints: int = Field(
        10, ge=1, description="...and at least this many distinct endpoints (never hold fewer).")
    circuit_breaker_monitor_window: float = Field(
        600.0, ge=0, description="Seconds: monitors changed this recently are named as evidence.")
    appliance: str = Field("designate", description="Default GSLB appliance driver (entry point name).")
    min_healthy_members: int = Field(
        1, ge=1, description="Healthy members a pool needs to be chosen over the next priority.")
    engine_retries: int = Field(
        5, ge=1, description="Re-reads after a compare-and-set miss before an event is retried.")
    reconcile_shard_size: int = Field(
        500, ge=10, le=1000, description="GSLBs per reconcile event: a reconcile of more is "
                                         "sent on as events of this many, shared by engine instances.")
    reconcile_listing_max_age: float = Field(
        60.0, ge=0, le=600, description="Seconds a zone listing taken by one reconcile shard "
                                        "may serve the run's later shards on the same engine "
                                        "instance (0: each shard lists the zone itself).")
    engine_lag_warn_seconds: float = Field(
        5.0, gt=0, description="Warn (and record at once) when results reach the engine later "
                               "than this after their check.")
    engine_lag_record_seconds: float = Field(
        10.0, gt=0, le=3600, description="Record each region's engine lag at most this often.")

    # --- fast failover -----------------------------------------------------
    recheck: bool = Field(
        True, description="Recheck on suspicion: after a failed probe of a member that is up, "
        "the engine asks every region's checker to probe it at its monitor's recheck_delay "
        "until its verdict settles.")
    recheck_rate: float = Field(
        200.0, gt=0, le=100000, description="Most rechecks (probe x region) one engine "
        "instance asks for per second; a suspect storm (a whole region failing) is cut to "
        "this, and the normal schedule goes on regardless. Checks of one probe (same "
        "project, address, port and monitor settings) count once.")
    recheck_batch: int = Field(
        100, ge=1, le=10000, description="Most probes one results batch may ask to recheck "
        "(checks of one probe count once).")
    recheck_max_lag: float = Field(
        2.0, gt=0, le=3600, description="Seconds: a results batch that reaches the engine "
        "later than this after its newest check asks for no recheck. The engine is behind, "
        "and rechecks' extra probes and results events would only deepen its backlog (at "
        "1,000 GSLBs they kept it 30 s behind after a failover); the normal schedule goes on.")
    region_brokers: dict[str, str] = Field(
        default_factory=dict, description="Region name => its broker URL, for rechecks (the "
        "local runner's one broker routes by region: empty).")

    # --- metrics -----------------------------------------------------------
    metrics_interval: float = Field(
        10.0, gt=0, le=3600, description="Seconds a function instance adds up its own "
        "observations (probes, conductor call times, push times) before adding them to the "
        "deployment's series.")
    metrics_token: str | None = Field(
        None, description="When set, GET /metrics wants `Authorization: Bearer <this>` (a "
        "Prometheus scrape's bearer token); else it is served to anyone who reaches the api.")

    # --- webhooks ----------------------------------------------------------
    webhook_max_attempts: int = Field(
        10, ge=1, le=50, description="Attempts of one webhook delivery before it is given up "
        "(FAILED); the waits between them grow 2 s, 6 s, 18 s ... up to an hour.")
    webhook_timeout: float = Field(
        5.0, gt=0, le=60, description="Seconds a webhook receiver has to answer one delivery.")
    webhook_batch: int = Field(
        50, ge=1, le=500, description="Deliveries one engine instance sends per pass, at most.")

    # --- appliances --------------------------------------------------------
    designate_cloud: str | None = Field(None, description="clouds.yaml entry for Designate, if not `cloud`.")
    confirm_interval: float = Field(
        1.0, ge=0, le=3600, description="seconds between an engine instance's passes confirming "
        "answers an appliance accepted but serves later (Designate)")
    confirm_batch: int = Field(50, ge=1, le=1000, description="GSLBs confirmed per pass, at most")
    designate_max_records: int = Field(
        20, ge=1, le=1000, description="Most addresses one answer may hold on Designate (its "
        "per-record-set quota, 20 by default): longer answers are cut to this.")
    powerdns_api_url: str = Field("http://127.0.0.1:8081", description="PowerDNS Authoritative API URL.")
    powerdns_api_key: str | None = Field(None, description="PowerDNS X-API-Key.")
    powerdns_server_id: str = Field("localhost", description="PowerDNS server id.")
    powerdns_lua_records: bool = Field(
        True, description="The PowerDNS server runs with enable-lua-records=yes, so it can "
                          "serve WEIGHTED and GEO answers (LUA records); false: PRIORITY only.")
    local_dns_url: str | None = Field(
        None, description="Control URL of the local runner's embedded DNS (local appliance).")

    # --- logging -----------------------------------------------------------
    quota_gslbs: int = Field(-1, ge=-1, description="GSLBs per project unless an admin set "
                             "its quota (-1: unlimited).")
    quota_pools: int = Field(-1, ge=-1, description="Pools per project by default (-1: unlimited).")
    quota_members: int = Field(-1, ge=-1, description="Pool members per project by default "
                               "(-1: unlimited).")
    quota_monitors: int = Field(-1, ge=-1, description="Monitors per project by default "
                                "(-1: unlimited).")
    quota_webhooks: int = Field(-1, ge=-1, description="Webhooks per project by default "
                                "(-1: unlimited).")
    log_level: str = Field("INFO", description="Python log level.")
    log_format: Literal["json", "text"] = Field("json", description="json lines, or text for humans.")


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The settings of this warm instance (read from the environment once)."""
    return Settings()


def reset_settings() -> None:
    """Forget the cached settings (tests and the local runner change the environment)."""
    get_settings.cache_clear()
