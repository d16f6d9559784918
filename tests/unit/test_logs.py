import io
import json

from kosmos.logs import configure, get_logger


def test_json_lines_carry_kosmos_ids():
    out = io.StringIO()
    configure("INFO", "json", out)
    get_logger("kosmos.engine").info("member went down", extra={"member_id": "m1", "region": "R1"})
    line = json.loads(out.getvalue())
    assert line["message"] == "member went down"
    assert line["member_id"] == "m1" and line["region"] == "R1" and line["level"] == "INFO"


def test_text_format_is_readable():
    out = io.StringIO()
    configure("DEBUG", "text", out)
    get_logger("checker").debug("tick", extra={"region": "RegionOne"})
    assert "DEBUG" in out.getvalue() and "region=RegionOne" in out.getvalue()
