"""The stateful reference emulator: an ASGI app that answers like the OpenAI API, under `/v1`.

    from conformance.emulator import create_app
    app = create_app()                       # the official spec, in-memory state
    app = create_app(spec, run_delay=0.5, state_file="state.db", api_keys={"sk-test"})

Serve it with uvicorn (`openai-conformance emulator`) or use it in-process with
`httpx.AsyncClient(transport=httpx.ASGITransport(app))`. Keywords are the fields of
`conformance.emulator.settings.Settings`. Handlers for operations live in their own modules and
register with `conformance.emulator.registry.handles`; see `registry` and `context`.
"""

from __future__ import annotations

from conformance.emulator.app import create_app
from conformance.emulator.settings import Settings

__all__ = ["Settings", "create_app"]
