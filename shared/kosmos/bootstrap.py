"""The composition root: builds each function's dependencies from settings.

Nothing here connects at import time. Each builder runs on a function's first
call and its product is reused while the instance is warm; tests pass their
own parts instead of patching.
"""
from __future__ import annotations

from kosmos.adapters.conductor_client import ConductorClient, HttpTransport
from kosmos.config import Settings, get_settings


def conductor_client(settings: Settings | None = None, caller: str = "") -> ConductorClient:
    """A client for the conductor function at ``settings.conductor_url``; a ``caller``
    (the function's name) gets a metrics buffer its calls are timed into."""
    from kosmos.contracts.metrics import MetricsBuffer

    s = settings or get_settings()
    return ConductorClient(HttpTransport(s.conductor_url, s.conductor_timeout, s.conductor_token),
                           metrics=MetricsBuffer(s.metrics_interval) if caller else None,
                           caller=caller)


def api_app(settings: Settings | None = None, *, conductor: ConductorClient | None = None,
            authenticator=None, policy=None):
    """The api function's ApiApp: conductor client, auth strategy and policy from settings.

    ``auth_strategy=keystone`` validates tokens with the service's own
    credentials (the clouds.yaml entry ``settings.cloud``); ``noauth`` must be
    chosen explicitly. Tests pass their own conductor/authenticator/policy.
    """
    from kosmos.api.app import ApiApp
    from kosmos.api.auth import KeystoneAuth, NoAuth
    from kosmos.api.policy import Policy

    s = settings or get_settings()
    if authenticator is None:
        if s.auth_strategy == "noauth":
            authenticator = NoAuth()
        else:
            from kosmos.adapters.keystone import KeystoneTokenValidator, session_from_cloud

            def session():   # built on the first authenticated call: public routes never need it
                if not s.cloud:
                    from kosmos.errors import Unavailable

                    raise Unavailable("auth_strategy=keystone needs KOSMOS_CLOUD (the service's "
                                      "clouds.yaml entry)", retry_after=60.0)
                return session_from_cloud(s.cloud)

            validator = KeystoneTokenValidator(session, s.keystone_auth_url,
                                               cache_seconds=s.token_cache_seconds)
            authenticator = KeystoneAuth(validator, s.keystone_auth_url)
    return ApiApp(conductor or conductor_client(s, "api"), authenticator,
                  policy or Policy.from_file(s.policy_file),
                  max_body_bytes=s.max_body_bytes, public_url=s.api_public_url,
                  resolve_endpoints=endpoint_resolver(s), metrics_token=s.metrics_token)


def endpoint_resolver(settings: Settings):
    """Looks up a neutron member's addresses in its region; None without a cloud.

    Without ``settings.cloud`` (the local runner) there is no OpenStack to ask:
    members stay PENDING until a checker that has one refreshes them.
    """
    if not settings.cloud:
        return None
    from kosmos.adapters.endpoint_lookup import member_resolver
    from kosmos.adapters.openstack import OpenStackRegions, default_connect

    return member_resolver(OpenStackRegions(default_connect(settings.cloud)))


def event_emitter(settings: Settings | None = None, *, source: str = "//kosmos"):
    """The Emitter chosen by ``settings.emitter`` (http: CloudEvents to ``broker_url``).

    ``local`` is the local runner's in-process queue: the runner builds it and
    passes it in, so asking for it here is a configuration error.
    """
    from kosmos.adapters.emitter import HttpEmitter
    from kosmos.errors import ValidationError

    s = settings or get_settings()
    if s.emitter == "http":
        return HttpEmitter(s.broker_url or "", source=source, signing_key=s.event_signing_key)
    raise ValidationError(f"emitter {s.emitter!r} must be supplied by its host "
                          "(the local runner passes its queue)", field="emitter")


def checker_service(settings: Settings | None = None, *, conductor: ConductorClient | None = None,
                    emitter=None, openstack=None):
    """The checker function's CheckerService: checks from entry points, discovery, guard."""
    from kosmos.adapters.openstack import OpenStackRegions, default_connect
    from kosmos.checker.discovery import EndpointDiscovery
    from kosmos.checker.service import CheckerService
    from kosmos.probes.registry import load_checks

    s = settings or get_settings()
    regions = openstack or OpenStackRegions(default_connect(s.cloud))  # connects on first lookup
    return CheckerService(
        s, conductor or conductor_client(s, "checker"),
        emitter or event_emitter(s, source=f"//kosmos/checker/{s.region}"),
        load_checks(s, openstack=regions), discover=EndpointDiscovery(regions))


def engine_service(settings: Settings | None = None, *, conductor: ConductorClient | None = None,
                   appliances=None, clock=None):
    """The engine function's EngineService: conductor gateway and appliance drivers.

    Drivers are loaded by name from the ``kosmos.appliances`` entry points on
    first use (``settings.appliance`` by default, or a GSLB's own ``appliance``).
    """
    from kosmos.appliances.registry import Appliances
    from kosmos.engine.deps import EngineDeps
    from kosmos.engine.gateway import EngineGateway
    from kosmos.engine.service import EngineService

    s = settings or get_settings()
    deps = EngineDeps(EngineGateway(conductor or conductor_client(s, "engine")),
                      appliances or Appliances(s), s)
    if s.emitter == "http" and s.broker_url:   # a reconcile's shards go back through the broker
        deps.emitter = event_emitter(s, source="//kosmos/engine")
    if s.emitter == "http":   # rechecks go to each region's checkers through its broker
        from kosmos.adapters.emitter import HttpEmitter

        deps.region_emitters = {r: HttpEmitter(url, source="//kosmos/engine",
                                                  signing_key=s.event_signing_key)
                                  for r, url in s.region_brokers.items()}
    if clock is not None:
        deps.clock = clock
    return EngineService(deps)
