"""The only way the api, checker and engine reach the conductor.

``ConductorClient.invoke(operation, args, context)`` checks ``args`` against the
operation's model (``kosmos.contracts.operations``), sends the envelope of
``kosmos.contracts.conductor`` through a transport and returns the result, or
raises the ``KosmosError`` subclass the conductor raised.

Transports:
- ``HttpTransport``: production; POST to the conductor function's URL.
  Connection errors, timeouts and 5xx without a Kosmos body become
  ``Unavailable`` (retryable).
- ``InProcessTransport``: calls a handler ``(envelope: dict) -> (status, body)``
  directly; tests and benchmarks use it with the real conductor service.
"""
from __future__ import annotations

import json
import time
import uuid
from typing import Any, Callable, Protocol

import pydantic_core
from pydantic import BaseModel
from pydantic import ValidationError as PydanticError
from pydantic_core import PydanticSerializationError

from kosmos.adapters.http_client import TRANSPORT_ERRORS, Client, client_for
from kosmos.contracts.conductor import CONDUCTOR_PATH, CallContext
from kosmos.contracts.operations import CATALOGUE, Operation
from kosmos.errors import KosmosError, Unavailable, ValidationError, from_pydantic, from_wire

Handler = Callable[[dict[str, Any]], "tuple[int, dict[str, Any]]"]


class Transport(Protocol):
    def send(self, envelope: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        """Deliver one envelope; return (HTTP status, decoded JSON body)."""


class HttpTransport:
    def __init__(self, url: str, timeout: float = 10.0, token: str | None = None,
                 client: Client | None = None):
        self.url = url.rstrip("/") + CONDUCTOR_PATH
        self.timeout = timeout
        self.client = client or client_for(self.url, timeout)
        self.headers = {"Content-Type": "application/json"}
        if token:
            self.headers["X-Kosmos-Conductor-Token"] = token

    def send(self, envelope: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        return _decoded(*self.send_raw(envelope))

    def send_raw(self, envelope: dict[str, Any]) -> tuple[int, bytes]:
        """Deliver one envelope; return (HTTP status, the body as it came)."""
        try:
            # pydantic-core writes the envelope in a quarter of json.dumps's time
            resp = self.client.post(self.url, pydantic_core.to_json(envelope), self.headers)
        except TRANSPORT_ERRORS as exc:
            raise Unavailable(f"conductor unreachable: {exc.__class__.__name__}",
                              retry_after=1.0) from exc
        return resp.status, resp.body


def _decoded(status: int, raw: bytes) -> tuple[int, dict[str, Any]]:
    """(status, body) of an answer, or Unavailable when it is not a Kosmos body."""
    try:
        body = json.loads(raw)
    except ValueError:
        body = None
    if not isinstance(body, dict) or ("result" not in body and "error" not in body):
        raise Unavailable(f"conductor answered HTTP {status} without a Kosmos body",
                          retry_after=1.0)
    return status, body


class InProcessTransport:
    def __init__(self, handler: Handler):
        self.handler = handler

    def send(self, envelope: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        return self.handler(envelope)


def _checked(operation: Operation, args: BaseModel | dict[str, Any] | None) -> dict[str, Any]:
    """``args`` as sent: validated with the operation's model (a ValidationError naming
    the field), then as JSON, without the defaults the caller left unset."""
    if not isinstance(args, operation.args):
        try:
            args = operation.args.model_validate(args or {})
        except PydanticError as exc:
            raise from_pydantic(exc) from None
    try:   # a value of the wrong type in a model built in code is refused, not sent
        return args.model_dump(mode="json", exclude_unset=True, warnings="error")
    except PydanticSerializationError as exc:
        raise ValidationError(f"{operation.name}: {exc}", field="args") from None


class ConductorClient:
    """Calls conductor operations; with ``metrics``, times each call (``kosmos_conductor_
    call_seconds`` by ``caller``) for the function to flush with its other observations."""

    def __init__(self, transport: Transport, metrics: Any = None, caller: str = ""):
        self.transport = transport
        self.metrics = metrics
        self.caller = caller

    def invoke(self, operation: Operation, args: BaseModel | dict[str, Any] | None = None,
               context: CallContext | None = None) -> Any:
        """Call ``operation`` with ``args``: its argument model, or a dict checked against
        that model here, so a bad argument is a ValidationError naming the field before
        anything is sent. The answer comes back as ``operation.result`` (an answer that
        does not fit it is Unavailable naming the field: retried, as from a conductor
        of another version)."""
        envelope = self._envelope(operation.name, _checked(operation, args), context)
        send_raw = getattr(self.transport, "send_raw", None)
        if send_raw is None:
            return operation.parse(self._result(*self._timed(self.transport.send, envelope)))
        status, raw = self._timed(send_raw, envelope)
        if status == 200:   # a success: read straight into the result's type
            try:
                return operation.parse_body(raw)
            except Unavailable:
                pass   # not a Kosmos body, or not this result: said below
        return operation.parse(self._result(*_decoded(status, raw)))

    def call(self, op: str, args: dict[str, Any] | None = None,
             context: CallContext | None = None) -> Any:
        """``invoke`` by the operation's name, for callers holding only the name; the
        result is the plain JSON."""
        operation = CATALOGUE.get(op)
        if operation is None:
            raise ValidationError(f"unknown conductor operation {op!r}", field="op")
        return self._send(operation.name, _checked(operation, args), context)

    def _send(self, op: str, args: dict[str, Any], context: CallContext | None) -> Any:
        envelope = self._envelope(op, args, context)
        return self._result(*self._timed(self.transport.send, envelope))

    @staticmethod
    def _envelope(op: str, args: dict[str, Any], context: CallContext | None) -> dict[str, Any]:
        if op.endswith(".create"):
            # A retried create carries the same id, so it cannot duplicate the row.
            args.setdefault("id", str(uuid.uuid4()))
        return {
            "schema_version": 1,
            "op": op,
            "context": (context or CallContext.system()).model_dump(mode="json"),
            "args": args,
        }

    def _timed(self, send: Callable[[dict[str, Any]], Any], envelope: dict[str, Any]) -> Any:
        started = time.perf_counter()
        try:
            return send(envelope)
        finally:
            if self.metrics is not None and envelope["op"] != "metrics.add":
                self.metrics.add("kosmos_conductor_call_seconds_sum",
                                 time.perf_counter() - started, function=self.caller)
                self.metrics.add("kosmos_conductor_call_seconds_count", 1, function=self.caller)

    @staticmethod
    def _result(status: int, body: dict[str, Any]) -> Any:
        if "error" in body:
            raise from_wire(body)
        if status >= 400:
            raise KosmosError(f"conductor answered HTTP {status}")
        return body.get("result")
