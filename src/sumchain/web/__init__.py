"""The web dashboard (``sumchain serve``): a JSON API and a small framework-free page, no CDN.

Modules: :mod:`.app` (the ASGI app), :mod:`.api` (the routes), :mod:`.openapi` (their
description), :mod:`.mechanism` (all the dashboard knows of the incentive mechanism),
:mod:`.dashboard` (the chain, its registry, who signs), :mod:`.errors` (JSON errors,
body limits), :mod:`.server` (uvicorn). Needs the ``web`` extra (Starlette, uvicorn).
"""
