"""Durable eventing in the Terraform: broker class, dead-letter sinks, delivery timeouts."""
from __future__ import annotations

import re

from kosmos.contracts.conductor import DEAD_LETTERS_PATH


def _manifests(module, kind: str):
    for (rtype, name), body in module.resources.items():
        manifest = body.get("manifest", {})
        if rtype == "kubernetes_manifest" and manifest.get("kind") == kind:
            yield name, manifest


def _delivery(module, trigger) -> dict:
    """A trigger's delivery, looked up in the module's locals when it names one."""
    delivery = trigger["spec"].get("delivery") or {}
    m = re.fullmatch(r"\$\{local\.([\w.]+)\}", delivery) if isinstance(delivery, str) else None
    if m:
        delivery = module.locals
        for part in m.group(1).split("."):
            delivery = delivery[part]
    return delivery


def _seconds(duration: str) -> int:
    m = re.fullmatch(r"PT(\d+)S", duration)
    assert m, f"not an ISO 8601 duration in seconds: {duration}"
    return int(m.group(1))


def test_every_trigger_has_a_dead_letter_sink_and_a_timeout(tf_modules):
    seen = 0
    for key in ("modules/global", "modules/regional"):
        module = tf_modules[key]
        for name, trigger in _manifests(module, "Trigger"):
            seen += 1
            delivery = _delivery(module, trigger)
            assert delivery, f"{key}: trigger {name} has no delivery"
            assert delivery["deadLetterSink"] == "${module.broker.dead_letter_sink}", \
                f"{key}: trigger {name} has no dead-letter sink"
            timeout = delivery["timeout"]
            if timeout == "${local.batch_timeout}":
                assert module.locals["batch_timeout"] == "PT${var.region.checker_timeout_seconds}S"
                continue
            assert 10 <= _seconds(timeout) <= 900, f"{key}: trigger {name} timeout {timeout}"
    assert seen == 7   # tick, batch, results (regional); reconcile x2, decide, results (global)


def test_triggers_allow_each_function_its_real_work(tf_modules):
    timeouts = {}
    for key in ("modules/global", "modules/regional"):
        for _name, trigger in _manifests(tf_modules[key], "Trigger"):
            attrs = trigger["spec"]["filter"]["attributes"]
            timeouts[attrs.get("kosmostype", attrs["type"])] = \
                _delivery(tf_modules[key], trigger)["timeout"]
    assert timeouts["kosmos.check.batch"] == "${local.batch_timeout}"   # its window and more
    glob = tf_modules["modules/global"]
    reconcile = glob.locals["engine_delivery"]["reconcile"]["timeout"]
    events = glob.locals["engine_delivery"]["events"]["timeout"]
    assert _seconds(reconcile) >= 300 > _seconds(events)


def test_brokers_are_durable_by_default_and_send_dead_letters_to_the_conductor(tf_modules):
    broker = tf_modules["modules/broker"]
    assert broker.variables["broker_class"]["default"] == "RabbitMQBroker"
    for key in ("modules/global", "modules/regional", "examples/two-regions"):
        assert tf_modules[key].variables["broker_class"]["default"] == "RabbitMQBroker"
    (_, manifest), = _manifests(broker, "Broker")
    assert manifest["metadata"]["annotations"]["eventing.knative.dev/broker.class"] == \
        "${var.broker_class}"
    (_, config), = _manifests(broker, "RabbitmqBrokerConfig")
    assert config["spec"]["queueType"] == "quorum"
    assert broker.locals["delivery"]["deadLetterSink"] == "${local.dead_letter_sink}"
    for key in ("modules/global", "modules/regional"):
        uses = [b for (n, b) in tf_modules[key].modules.items() if n == "broker"]
        assert uses, f"{key} makes no broker through modules/broker"
        assert uses[0]["dead_letter_uri"].endswith(DEAD_LETTERS_PATH)
        assert uses[0]["broker_class"] == "${var.broker_class}"
    for key in ("modules/global", "modules/regional"):   # no broker made any other way
        assert not list(_manifests(tf_modules[key], "Broker"))
