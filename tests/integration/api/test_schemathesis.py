"""schemathesis against the api function as deployed (functions-framework app), with the
real conductor on SQLite and on PostgreSQL: every operation of the OpenAPI document, with
schema-valid and schema-invalid inputs. No 5xx, every response conforms to the document,
every schema-valid request is accepted and every invalid one refused.

The app runs in the noauth mode; its document says so (X-Project-Id is the scheme), and
Keystone authentication has its own tests. ``positive_data_acceptance`` is replaced by a
stricter local check: a schema-valid request may be refused only with a 400 that names a
rule no schema can state (a reference to a row that does not exist, an fqdn outside its
zone, timeout not below delay). The document declares no links between operations, so the
run is per operation, not stateful.
"""
from __future__ import annotations

import re

import functions_framework
import pytest
from hypothesis import HealthCheck, given, settings
from schemathesis import openapi
from schemathesis.generation.modes import GenerationMode
from hypothesis.errors import Unsatisfiable
from schemathesis.auths import AuthStorage
from schemathesis.specs.openapi.checks import ignored_auth, positive_data_acceptance

from kosmos.api.app import ApiApp
from kosmos.api.auth import NoAuth
from kosmos.api.entry import INSTANCE

from .conftest import MAIN

# Examples per operation and mode: PostgreSQL answers about five times slower here.
EXAMPLES = {"sqlite": 15, "postgres": 4}


COUNTS = {"cases": 0}
# Rules across fields or rows, which a JSON schema cannot express.
SEMANTIC = re.compile(r"does not exist|is not inside zone|timeout must be smaller than delay|"
                      r"is already used|region is required|neutron_id is required|"
                      r"address is required|neutron_id is only for|invalid status code range|"
                      r"url: refused: |recheck_delay must not exceed delay|cannot serve|serves at most|"
                      r"is listed twice")


@pytest.fixture
def api_schema(conductor):
    INSTANCE.use(ApiApp(conductor, NoAuth()))
    app = functions_framework.create_app("kosmos_api", str(MAIN), "http")
    yield openapi.from_wsgi("/v1/openapi.json", app)
    INSTANCE.use(None)


class ProjectHeader:
    """The noauth scheme's credential, as schemathesis' auth provider: it is sent on
    every case and left out of what the generator mutates. ``ignored_auth`` cannot hold
    for noauth, where any well-formed project id is a caller by design."""

    def get(self, case, context):
        return "p1"

    def set(self, case, data, context):
        case.headers = {**(case.headers or {}), "X-Project-Id": data}


AUTH: AuthStorage = AuthStorage()
AUTH.auth(refresh_interval=None)(ProjectHeader)


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_the_api_keeps_its_openapi_contract(api_schema, mode, db_url):
    examples = EXAMPLES["postgres" if db_url.startswith("postgresql") else "sqlite"]
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) > 25
    failures = []
    for operation in operations:
        @given(case=operation.as_strategy(generation_mode=mode, auth_storage=AUTH))
        @settings(max_examples=examples, deadline=None, derandomize=True, database=None,
                  suppress_health_check=list(HealthCheck))
        def run(case):
            COUNTS["cases"] += 1
            if mode == GenerationMode.NEGATIVE:
                case.call_and_validate(excluded_checks=[ignored_auth])
                return
            response = case.call_and_validate(excluded_checks=[ignored_auth,
                                                               positive_data_acceptance])
            if response.status_code == 400:
                message = response.json()["error"]["message"]
                assert SEMANTIC.search(message), f"schema-valid request refused: {message}"
        try:
            run()
        except Unsatisfiable:
            continue   # nothing in this operation can be made invalid (GET /)
        except BaseException as exc:   # noqa: BLE001 - every operation's finding, then fail once
            if isinstance(exc, KeyboardInterrupt):
                raise
            failures.append(f"{operation.label}: {str(exc)[:1500]}")
    print(f"schemathesis ({mode.value}): {COUNTS['cases']} cases so far over "
          f"{len(operations)} operations")
    assert failures == [], "\n\n".join(failures)
