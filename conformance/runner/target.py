"""The target client: sends `Request`s to the emulator in-process, over HTTP, or to any base URL.

One httpx `AsyncClient` per run (keep-alive, one timeout per request) driven from a private event-loop
thread, so the synchronous pytest tests and Hypothesis can call `Target.send` directly. The client
adds the run's headers (key, organization, project, `OpenAI-Beta` on the Assistants operations),
spends a request budget, keeps a client-side rate limit and retries 429/502/503 as the server asks
(`retry-after-ms`, `retry-after`, `x-ratelimit-reset-*`).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import json
import random
import re
import socket
import threading
import time
from collections.abc import Awaitable
from email.utils import parsedate_to_datetime
from typing import Any, TypeVar

import httpx

from conformance import __version__
from conformance.errors import BudgetSpent, ConformanceError, TargetUnreachable
from conformance.exchange import Request, Response
from conformance.runner import stops
from conformance.runner.auth import without_credentials
from conformance.runner.config import RunConfig
from conformance.runner.fixed import with_fixed
from conformance.spec import Operation, Spec
from conformance.sse import aread_stream

T = TypeVar("T")
RETRY_STATUSES = (429, 502, 503)
MAX_RETRY_WAIT = 60.0
EMULATOR_BASE_URL = "http://emulator.invalid/v1"  # in-process: the host is never resolved
EMULATOR_KEY = "sk-conformance-emulator"
ASSISTANTS_PREFIXES = ("/assistants", "/threads")
SSE = "text/event-stream"
# A refused connection is tried again after these pauses (s) before the target counts as unreachable:
# a server that is restarting or whose backlog is full gets ~2 s, one that is gone stops the run.
CONNECT_RETRY_DELAYS = (0.25, 0.5, 1.0)


class TransportFailure(Exception):
    """No usable response: timeout, dropped connection, protocol error. The run goes on."""


class Interrupted(KeyboardInterrupt):
    """Ctrl-C while a request was in flight; `response` is its answer (None if it had none)."""

    def __init__(self, response: Any = None) -> None:
        super().__init__()
        self.response = response


class _Loop:
    """An event loop in a daemon thread; `run` executes a coroutine there and waits for it."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="conformance-target", daemon=True)
        self.thread.start()

    def run(self, coro: Awaitable[T], finish_on_interrupt: float | None = None) -> T:
        """Wait for `coro`. On Ctrl-C, with `finish_on_interrupt`, let it finish first (up to that many
        seconds) and raise `Interrupted` carrying its result: a request already sent may have created
        an object, which the clean-up must know about."""
        future: concurrent.futures.Future[T] = asyncio.run_coroutine_threadsafe(coro, self.loop)  # type: ignore[arg-type]
        try:
            return future.result()
        except KeyboardInterrupt:
            if finish_on_interrupt is None:
                future.cancel()
                raise
            try:
                result = future.result(timeout=finish_on_interrupt)
            except BaseException:
                future.cancel()
                raise KeyboardInterrupt from None
            raise Interrupted(result) from None
        except BaseException:
            future.cancel()
            raise

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=5)
        if not self.thread.is_alive():
            self.loop.close()


class LocalServer:
    """An ASGI app (the emulator) served by uvicorn on a free 127.0.0.1 port, in a thread."""

    def __init__(self, app: Any) -> None:
        import uvicorn

        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        config = uvicorn.Config(
            app, log_level="warning", lifespan="auto", access_log=False, timeout_graceful_shutdown=1
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(
            target=self.server.run, kwargs={"sockets": [self.sock]}, name="conformance-emulator", daemon=True
        )
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise ConformanceError("the local HTTP server did not start")
            time.sleep(0.01)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def close(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
        self.sock.close()


class EmulatorProcess:
    """`openai-conformance emulator` in its own process on a free 127.0.0.1 port: the `emulator-http` target.

    A separate process, like a real server: it has its own interpreter (and core), and what it logs
    does not mix with the run's output.
    """

    def __init__(
        self, spec: str, faults: list[str] | None = None, spec_literal: bool = False, startup: float = 60.0
    ) -> None:
        import subprocess
        import sys

        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        command = [
            sys.executable,
            "-m",
            "conformance",
            "emulator",
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
        ]
        command += ["--spec", spec, "--log-level", "error"]
        for fault in faults or ():
            command += ["--fault", fault]
        command += ["--spec-literal"] if spec_literal else []
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + startup
        while True:
            if self.process.poll() is not None:
                error = (self.process.stderr.read() if self.process.stderr else b"").decode(errors="replace")
                last = (
                    error.strip().splitlines()[-1]
                    if error.strip()
                    else f"exit code {self.process.returncode}"
                )
                raise ConformanceError(f"the HTTP emulator did not start: {last}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    self.close()
                    raise ConformanceError(f"the HTTP emulator did not listen within {startup:g} s") from None
                time.sleep(0.05)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except Exception:  # noqa: BLE001 - a server that ignores SIGTERM is killed
                self.process.kill()
                self.process.wait()
        if self.process.stderr:
            self.process.stderr.close()


def create_emulator_app(spec: Spec, faults: list[str] | None = None, spec_literal: bool = False) -> Any:
    try:
        from conformance.emulator import create_app
    except ImportError as exc:  # pragma: no cover - the emulator ships with the package
        raise ConformanceError(f"the bundled emulator is not available: {exc}") from None
    return create_app(spec=spec, faults=faults or (), spec_literal=spec_literal)


class RateLimiter:
    """At most `rate` requests per second, spaced evenly (no bursts)."""

    def __init__(self, rate: float | None) -> None:
        self.interval = 1.0 / rate if rate else 0.0
        self.next_at = 0.0
        self.lock = asyncio.Lock()

    async def wait(self) -> None:
        if not self.interval:
            return
        async with self.lock:
            now = time.monotonic()
            if self.next_at > now:
                await asyncio.sleep(self.next_at - now)
            self.next_at = max(now, self.next_at) + self.interval


_DURATION = re.compile(r"(\d+(?:\.\d+)?)(ms|h|m|s)")


def parse_duration(text: str) -> float | None:
    """`x-ratelimit-reset-*` values: "1s", "6m0s", "20ms", "1h2m3.5s", or plain seconds."""
    text = text.strip()
    try:
        return max(0.0, float(text))
    except ValueError:
        pass
    parts = _DURATION.findall(text)
    if not parts or "".join(n + u for n, u in parts) != text:
        return None
    scale = {"ms": 0.001, "s": 1, "m": 60, "h": 3600}
    return sum(float(n) * scale[u] for n, u in parts)


def retry_delay(headers: dict[str, str], attempt: int) -> float:
    """How long the server asks us to wait; exponential backoff with jitter when it does not say."""
    wait: float | None = None
    if "retry-after-ms" in headers:
        try:
            wait = float(headers["retry-after-ms"]) / 1000
        except ValueError:
            wait = None
    if wait is None and "retry-after" in headers:
        value = headers["retry-after"].strip()
        try:
            wait = float(value)
        except ValueError:
            try:
                wait = parsedate_to_datetime(value).timestamp() - time.time()
            except (TypeError, ValueError, IndexError):
                wait = None
    if wait is None:
        parsed = [parse_duration(v) for k, v in headers.items() if k.startswith("x-ratelimit-reset-")]
        resets = [r for r in parsed if r is not None]
        wait = max(resets) if resets else None
    if wait is None:
        wait = min(8.0, 0.5 * 2**attempt) * (0.75 + random.random() / 2)
    return min(MAX_RETRY_WAIT, max(0.0, wait))


def _form_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        return json.dumps(value)
    return "" if value is None else str(value)


def form_fields(body: Any) -> dict[str, Any]:
    """Form fields as the official SDK writes them: arrays repeat `name[]`, objects are JSON text, and
    null fields are left out."""
    if not isinstance(body, dict):
        return {}
    fields: dict[str, Any] = {}
    for name, value in body.items():
        if value is None:
            continue  # a form has no null: the field is left out
        if isinstance(value, list | tuple):
            fields[name if name.endswith("[]") else f"{name}[]"] = [_form_value(v) for v in value]
        else:
            fields[name] = _form_value(value)
    return fields


def _query_items(query: dict[str, Any]) -> list[tuple[str, str]]:
    """Query values as sent: lists repeat the name, objects become name[key]=value."""
    items: list[tuple[str, str]] = []
    for name, value in query.items():
        if isinstance(value, list | tuple):
            items += [(name, _form_value(v)) for v in value]
        elif isinstance(value, dict):
            items += [(f"{name}[{k}]", _form_value(v)) for k, v in value.items()]
        elif value is not None:
            items.append((name, _form_value(value)))
    return items


def needs_beta_header(operation: Operation | None, path: str) -> bool:
    if operation is not None and "Assistants" in operation.tags:
        return True
    return path.startswith(ASSISTANTS_PREFIXES)


class Target:
    """Sends requests and returns `Response`s; one per run, closed at the end."""

    def __init__(
        self, config: RunConfig, spec: Spec, *, app: Any = None, base_url: str | None = None
    ) -> None:
        self.config = config
        self.spec = spec
        self.requests_sent = 0
        self.budget = config.request_budget
        # what went unanswered since the last complete response: the stop names the first of these
        self.unanswered: list[str] = []
        if config.emulator_fault and not config.is_emulator:
            raise ConformanceError("--emulator-fault needs --target emulator or emulator-http")
        if config.spec_literal and not config.is_emulator:
            raise ConformanceError("--spec-literal needs --target emulator or emulator-http")
        self._loop = _Loop()
        self._server: LocalServer | EmulatorProcess | None = None
        transport: httpx.AsyncBaseTransport | None = None
        if base_url is None and config.target == "emulator":
            app = (
                app
                if app is not None
                else create_emulator_app(spec, config.emulator_fault, config.spec_literal)
            )
            transport = httpx.ASGITransport(app=app)
            base_url = EMULATOR_BASE_URL
        elif base_url is None and config.target == "emulator-http":
            if app is not None:
                self._server = LocalServer(app)
            else:
                self._server = EmulatorProcess(config.spec, config.emulator_fault, config.spec_literal)
            base_url = self._server.base_url
        self.base_url = (base_url or config.target).rstrip("/")
        self.name = config.target
        key = EMULATOR_KEY if config.is_emulator else config.api_key()
        headers = {"user-agent": f"openai-conformance/{__version__}", "accept": "*/*"}
        if key and config.auth_header.lower() == "authorization":
            headers["authorization"] = f"Bearer {key}"
        elif key:
            headers[config.auth_header.lower()] = key  # Azure OpenAI's `api-key: KEY`
        if config.organization:
            headers["openai-organization"] = config.organization
        if config.project:
            headers["openai-project"] = config.project
        self.default_headers = headers
        timeout = httpx.Timeout(config.timeout, connect=min(config.timeout, 10.0))
        limits = httpx.Limits(max_connections=16, max_keepalive_connections=16)

        async def make() -> tuple[httpx.AsyncClient, RateLimiter]:
            client = httpx.AsyncClient(
                base_url=self.base_url,
                transport=transport,
                timeout=timeout,
                limits=limits,
                follow_redirects=False,
            )
            return client, RateLimiter(config.rate_limit)

        self._client, self._limiter = self._loop.run(make())

    # -- lifecycle -------------------------------------------------------------------------------

    def close(self) -> None:
        try:
            self._loop.run(self._client.aclose())
        finally:
            self._loop.close()
            if self._server is not None:
                self._server.close()

    def __enter__(self) -> Target:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- sending ---------------------------------------------------------------------------------

    @property
    def budget_left(self) -> int | None:
        return None if self.budget is None else max(0, self.budget - self.requests_sent)

    def send(
        self,
        request: Request,
        operation: Operation | None = None,
        *,
        retries: int | None = None,
        budget: bool = True,
    ) -> Response:
        """Send one request (with retries). Raises TransportFailure, BudgetSpent or TargetUnreachable.

        `budget=False` is for the clean-up: deleting what the run created never stops at the budget.
        """
        retries = self.config.retries if retries is None else retries
        request = with_fixed(request, operation, self.config)
        if budget:
            stops.check()
        return self._loop.run(
            self._send(request, operation, retries, budget), finish_on_interrupt=self.config.timeout
        )

    def probe(self) -> Response:
        """One cheap request before the run: is the target there, and does it take our key?"""
        try:
            response = self.send(Request("GET", "/models", operation_id="listModels"), retries=1)
        except TransportFailure as exc:
            raise TargetUnreachable(f"target {self.name} is unreachable: {exc}") from None
        if response.status == 401 and not self.config.is_emulator:
            where = f"${self.config.api_key_env}"
            reason = "is not set" if not self.config.api_key() else "was rejected (401)"
            raise ConformanceError(f"target {self.name}: the API key in {where} {reason}")
        return response

    async def _send(
        self, request: Request, operation: Operation | None, retries: int, budget: bool
    ) -> Response:
        attempt = 0
        while True:
            if budget and self.budget is not None and self.requests_sent >= self.budget:
                raise BudgetSpent(f"request budget of {self.budget} spent")
            await self._limiter.wait()
            self.requests_sent += 1
            response = await self._attempt(request, operation)
            if response.status not in RETRY_STATUSES or attempt >= retries:
                return response
            await asyncio.sleep(retry_delay(response.headers, attempt))
            attempt += 1

    def build(self, request: Request, operation: Operation | None = None) -> httpx.Request:
        headers = dict(self.default_headers)
        if without_credentials(request):
            headers.pop(self.config.auth_header.lower(), None)
        if needs_beta_header(operation, request.path):
            headers["openai-beta"] = "assistants=v2"
        headers.update({k.lower(): v for k, v in request.headers.items()})
        query = dict(operation.extra_query) if operation is not None else {}
        query.update(request.query)
        kwargs: dict[str, Any] = {"params": _query_items(query)}
        media = request.media_type
        if request.content is not None:
            kwargs["content"] = request.content
            if media:
                headers.setdefault("content-type", media)
        elif request.files or media == "multipart/form-data":
            headers.pop("content-type", None)  # httpx writes it, with the boundary
            data = form_fields(request.body)
            files = {name: (fname, blob, kind) for name, (fname, blob, kind) in (request.files or {}).items()}
            if not files:  # httpx writes multipart only with files: write the fields ourselves
                kwargs["content"], boundary = _empty_multipart(data)
                headers["content-type"] = f"multipart/form-data; boundary={boundary}"
            else:
                kwargs["data"], kwargs["files"] = data, files
        elif media == "application/x-www-form-urlencoded" and isinstance(request.body, dict):
            kwargs["data"] = form_fields(request.body)
        elif request.body is not None:
            kwargs["content"] = json.dumps(request.body).encode()
            headers.setdefault("content-type", media or "application/json")
        return self._client.build_request(request.method, request.path, headers=headers, **kwargs)

    async def _attempt(self, request: Request, operation: Operation | None) -> Response:
        """One request; a connection the target refuses is tried again at once (nothing was sent),
        and a target that still refuses it is unreachable: the run stops there, naming the first
        request it left unanswered since its last complete answer (the likeliest cause)."""
        try:
            http_request = self.build(request, operation)
        except (httpx.InvalidURL, UnicodeEncodeError, ValueError) as exc:
            raise TransportFailure(f"cannot build {request.describe()}: {exc}") from None
        for delay in (*CONNECT_RETRY_DELAYS, None):
            try:
                response = await self._receive(http_request)
            except httpx.ConnectError as exc:
                if delay is None:
                    raise TargetUnreachable(self._unreachable(exc)) from None
                await asyncio.sleep(delay)
                http_request = self.build(request, operation)  # a fresh body stream for the retry
            except TransportFailure as exc:
                named = f" ({request.operation_id})" if request.operation_id else ""
                self.unanswered.append(f"{request.describe()}{named} went unanswered: {exc}")
                raise
            else:
                self.unanswered.clear()
                return response
        raise AssertionError("unreachable")

    def _unreachable(self, exc: httpx.ConnectError) -> str:
        message = f"target {self.name} is unreachable: {exc or type(exc).__name__}"
        if self.unanswered:
            message += f" (after {self.unanswered[0]})"
        return message

    async def _receive(self, http_request: httpx.Request) -> Response:
        started = time.perf_counter()
        total = self.config.timeout
        try:
            async with asyncio.timeout(total):
                response = await self._client.send(http_request, stream=True)
            try:
                remaining = max(0.05, total - (time.perf_counter() - started))
                if response.headers.get("content-type", "").split(";")[0].strip().lower() == SSE:
                    recorded = await aread_stream(response, deadline=remaining)
                    events, stream_error, content = recorded.events, recorded.stream_error, recorded.content
                else:
                    async with asyncio.timeout(remaining):
                        content = await response.aread()
                    events, stream_error = None, None
            finally:
                await response.aclose()
        except TimeoutError:
            raise TransportFailure(f"no response within {total:g} s") from None
        except httpx.ConnectError:
            raise
        except httpx.TimeoutException:
            raise TransportFailure(f"no response within {total:g} s") from None
        except httpx.HTTPError as exc:
            raise TransportFailure(f"{type(exc).__name__}: {exc}") from None
        headers: dict[str, str] = {}
        for name, value in response.headers.multi_items():
            name = name.lower()
            headers[name] = f"{headers[name]}, {value}" if name in headers else value
        return Response(
            status=response.status_code,
            headers=headers,
            content=content,
            elapsed=time.perf_counter() - started,
            events=events,
            stream_error=stream_error,
        )


def _empty_multipart(data: dict[str, Any]) -> tuple[bytes, str]:
    """A multipart body of plain fields (httpx only writes multipart when there are files)."""
    boundary = f"conformance-{random.getrandbits(64):016x}"
    parts = []
    pairs = [(k, v) for k, values in data.items() for v in (values if isinstance(values, list) else [values])]
    for name, value in pairs:
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
        )
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), boundary
