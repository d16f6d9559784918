"""The OpenStackClient plugin hooks: API name, versions, client factory, global options."""
from __future__ import annotations

import os

from osc_lib import utils

API_NAME = "gslb"
API_VERSION_OPTION = "os_gslb_api_version"
DEFAULT_API_VERSION = "1"
API_VERSIONS = {"1": "kosmos_osc.client.GslbClient"}
SERVICE_TYPE = "gslb"


NOAUTH = ("none", "noauth")


def noauth(auth_type: str | None) -> bool:
    """Whether this command talks to a noauth API (the local runner): no Keystone at all."""
    return (auth_type or os.environ.get("OS_AUTH_TYPE") or "").lower() in NOAUTH


def make_client(instance):
    """The GSLB API client for this command's session (a Keystone token, or noauth)."""
    from kosmos_osc.client import GslbClient

    options = instance._cli_options   # osc-lib keeps the cloud config it made here
    config = getattr(options, "config", {}) or {}
    auth = config.get("auth") or {}
    override = config.get("gslb_endpoint") or os.environ.get("OS_GSLB_ENDPOINT")
    if noauth(config.get("auth_type")):
        # No token: the runner trusts X-Project-Id (and X-Roles), as its noauth mode says.
        from keystoneauth1 import session as ks_session

        return GslbClient(ks_session.Session(), override or auth.get("endpoint")
                          or os.environ.get("OS_ENDPOINT", ""),
                          noauth_project=auth.get("project_id") or os.environ.get("OS_PROJECT_ID")
                          or "admin",
                          noauth_roles=os.environ.get("OS_GSLB_ROLES"))
    endpoint = override or instance.get_endpoint_for_service_type(
        SERVICE_TYPE, region_name=instance.region_name, interface=instance.interface)
    return GslbClient(instance.session, endpoint)


def build_option_parser(parser):
    parser.add_argument(
        "--os-gslb-api-version", metavar="<gslb-api-version>",
        default=utils.env("OS_GSLB_API_VERSION", default=DEFAULT_API_VERSION),
        help=f"Kosmos GSLB API version, default={DEFAULT_API_VERSION} (Env: OS_GSLB_API_VERSION)")
    parser.add_argument(
        "--os-gslb-endpoint", metavar="<url>", dest="gslb_endpoint",
        default=utils.env("OS_GSLB_ENDPOINT"),
        help="The GSLB API's URL instead of the catalog's (Env: OS_GSLB_ENDPOINT)")
    return parser
