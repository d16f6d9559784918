"""The REST API function (API.md v1).

    app.py        ApiApp: one HTTP request in, one response out (body limits,
                  JSON decoding, auth, policy, routing, request ids, logs)
    routes.py     the URL map: path + method -> handler + policy action
    resources.py  the four resources as specs (plural, models, filters, links)
    handlers.py   CRUD handlers shared by every resource
    subresources.py  status trees, monitors of a pool/member, pools of a GSLB, history
    queries.py    list query parameters (limit, marker, sort, filters)
    schemas.py    response models (records with links, list envelopes, errors)
    render.py     records -> JSON bodies with links
    auth.py       Authenticator port: keystone and noauth strategies
    policy.py     oslo.policy-style rules: defaults in code, optional file
    errors.py     the ONE place that turns exceptions into HTTP error responses
    openapi.py    the OpenAPI 3.1 document, generated from the same models

The api never touches the database: every read and write is one call of
``kosmos.adapters.conductor_client.ConductorClient``.
"""
