"""Several main.py in one process, each loaded as deployed, without collisions."""
from __future__ import annotations

import os
import sys
import textwrap
from pathlib import Path

import pytest

from kosmos_local.events import Envelope, post
from kosmos_local.loader import load_function, module_name, unload_function

HTTP_MAIN = """
import functions_framework
CALLS = []

@functions_framework.http
def {target}(request):
    CALLS.append(request.path)
    return "{reply}"
"""

EVENT_MAIN = """
import functions_framework
SEEN = []

@functions_framework.cloud_event
def {target}(event):
    SEEN.append((event["type"], event.data))
"""


def write_main(root: Path, folder: str, text: str) -> Path:
    path = root / folder / "main.py"
    path.parent.mkdir(parents=True)
    path.write_text(textwrap.dedent(text))
    return path


@pytest.fixture
def loaded(tmp_path):
    names: list[str] = []

    def load(name, source, target, sig, env=None):
        names.append(name)
        return load_function(name, source, target, sig, env)

    yield load
    for n in names:
        unload_function(n)


def test_two_main_py_keep_their_own_modules(tmp_path, loaded):
    sentinel = object()
    sys.modules["main"] = sentinel  # type: ignore[assignment]
    try:
        api = loaded("t-api", write_main(tmp_path, "api", HTTP_MAIN.format(target="t_api", reply="api")),
                     "t_api", "http")
        ev = loaded("t-ev", write_main(tmp_path, "ev", EVENT_MAIN.format(target="t_ev")),
                    "t_ev", "cloudevent")
        assert sys.modules["main"] is sentinel
    finally:
        sys.modules.pop("main", None)
    assert api.module is not ev.module
    assert sys.modules[module_name("t-api")] is api.module
    assert api.test_client().get("/x").get_data(as_text=True) == "api"
    assert api.module.CALLS == ["/x"]
    post(ev.test_client(), Envelope(type="kosmos.test", data={"n": 1}))
    assert ev.module.SEEN == [("kosmos.test", {"n": 1})]


def test_signature_type_and_target_env_are_restored(tmp_path, loaded):
    os.environ.pop("FUNCTION_SIGNATURE_TYPE", None)
    os.environ["FUNCTION_TARGET"] = "before"
    try:
        loaded("t-ev2", write_main(tmp_path, "ev", EVENT_MAIN.format(target="t_ev2")),
               "t_ev2", "cloudevent")
        # An http function loaded next must not inherit "cloudevent".
        api = loaded("t-api2", write_main(tmp_path, "api", HTTP_MAIN.format(target="t_api2", reply="ok")),
                     "t_api2", "http")
        assert "FUNCTION_SIGNATURE_TYPE" not in os.environ
        assert os.environ["FUNCTION_TARGET"] == "before"
        assert api.test_client().get("/").status_code == 200
    finally:
        os.environ.pop("FUNCTION_TARGET", None)


def test_same_source_twice_gives_independent_instances(tmp_path, loaded):
    src = write_main(tmp_path, "checker", EVENT_MAIN.format(target="t_chk"))
    one = loaded("t-chk-RegionOne", src, "t_chk", "cloudevent")
    two = loaded("t-chk-RegionTwo", src, "t_chk", "cloudevent")
    post(one.test_client(), Envelope(type="a", data={}))
    assert one.module.SEEN and not two.module.SEEN


def test_env_is_visible_at_import_only(tmp_path, loaded):
    src = write_main(tmp_path, "envy", "import os\nAT_IMPORT = os.environ.get('KOSMOS_T_X')\n"
                     + HTTP_MAIN.format(target="t_envy", reply="e"))
    fn = loaded("t-envy", src, "t_envy", "http", env={"KOSMOS_T_X": "1"})
    assert fn.module.AT_IMPORT == "1"
    assert "KOSMOS_T_X" not in os.environ


def test_duplicate_name_is_refused(tmp_path, loaded):
    src = write_main(tmp_path, "d", HTTP_MAIN.format(target="t_dup", reply="d"))
    loaded("t-dup", src, "t_dup", "http")
    with pytest.raises(ValueError, match="already loaded"):
        load_function("t-dup", src, "t_dup", "http")


def test_failing_event_function_is_a_delivery_failure(tmp_path, loaded):
    from kosmos_local.events import DeliveryFailed
    src = write_main(tmp_path, "bad", "import functions_framework\n"
                     "@functions_framework.cloud_event\ndef t_bad(event):\n    raise RuntimeError('no')\n")
    fn = loaded("t-bad", src, "t_bad", "cloudevent")
    with pytest.raises(DeliveryFailed, match="500"):
        post(fn.test_client(), Envelope(type="x", data={}))


def test_a_refusing_event_function_is_one_line_naming_its_reason(tmp_path, loaded):
    """A Kosmos function answers a dependency that is down with werkzeug's 503 page;
    the runner's queue logs and dead-letters its message, on one line."""
    from kosmos_local.events import DeliveryFailed, answer_text
    src = write_main(tmp_path, "busy", "import functions_framework\n"
                     "from werkzeug.exceptions import ServiceUnavailable\n"
                     "@functions_framework.cloud_event\ndef t_busy(event):\n"
                     "    raise ServiceUnavailable('checks.due of R1 is being read; "
                     "retry <the> tick', retry_after=1)\n")
    fn = loaded("t-busy", src, "t_busy", "cloudevent")
    with pytest.raises(DeliveryFailed) as failed:
        post(fn.test_client(), Envelope(type="x", data={}))
    assert str(failed.value) == ("x answered HTTP 503: checks.due of R1 is being read; "
                                 "retry <the> tick")
    # what is not a page is kept, on one line and without control characters
    assert answer_text('{"error": {"message":\n "down"}}\x1b[31m') == '{"error": {"message": "down"}} [31m'
    assert len(answer_text("x" * 1000)) == 300
