"""The read API (Litestar): fleet reads, analytics and firmware manifests, tenant-isolated.

Run it with ``adwatch-cloud api [--workers N]`` (uvicorn); issue tokens with
``adwatch-cloud token issue --tenant T --role viewer|admin --ttl SECONDS``.

Layout, by feature: ``devices/``, ``locations/``, ``analytics/``, ``firmware/`` each hold
``controllers`` (routes: two or three lines each), ``services`` (the SQL; every method
takes the caller's tenant) and ``schemas`` (msgspec response bodies). ``probes/`` serves
``/health``, ``/ready`` and ``/metrics``; ``auth/`` verifies bearer JWTs. ``edge`` is the
ASGI layer in front (request id, size limit, Redis rate limit, metrics, access log),
``cache`` the per-tenant Redis response cache, ``settings`` the config tree, ``app``
the assembly. OpenAPI 3.1 is served at ``/schema`` (``/schema/openapi.json``).
"""
