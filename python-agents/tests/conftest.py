"""Shared fixtures: signed calls, the real-agent app, and a folder of small fake agents."""

from __future__ import annotations

import json
import textwrap
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from service.app import create_app
from service.config import Settings
from service.signing import compute_signature

SECRET = "test-secret-6c1f0e"
USER_ID = "user-42"


def signed_headers(
    slug: str,
    body: bytes,
    *,
    secret: str = SECRET,
    execution_id: str | None = None,
    user_id: str = USER_ID,
    timestamp: int | str | None = None,
) -> dict[str, str]:
    execution_id = execution_id or f"exec-{uuid.uuid4()}"
    ts = str(int(time.time()) if timestamp is None else timestamp)
    return {
        "Content-Type": "application/json",
        "X-Abetworks-Execution-Id": execution_id,
        "X-Abetworks-User-Id": user_id,
        "X-Abetworks-Timestamp": ts,
        "X-Abetworks-Signature": compute_signature(secret, execution_id, user_id, slug, ts, body),
    }


class AgentClient:
    """A TestClient that signs execute calls like the gateway does."""

    def __init__(self, client: TestClient) -> None:
        self.client = client
        self.app = client.app

    def execute(self, slug: str, agent_input: Any, *, stream: bool = False, **sign: Any) -> Any:
        """A signed call of the plain execute, or of its NDJSON form with `stream`."""
        body = json.dumps({"input": agent_input}).encode()
        path = f"/agents/{slug}/execute/stream" if stream else f"/agents/{slug}/execute"
        return self.client.post(path, content=body, headers=signed_headers(slug, body, **sign))

    def lines(self, slug: str, agent_input: Any) -> list[dict[str, Any]]:
        """The NDJSON lines of a streamed call that was accepted."""
        response = self.execute(slug, agent_input, stream=True)
        assert response.status_code == 200, response.text
        assert response.headers["content-type"] == "application/x-ndjson"
        assert response.text.endswith("\n")
        return [json.loads(line) for line in response.text.splitlines()]

    def output(self, slug: str, agent_input: Any) -> dict[str, Any]:
        response = self.execute(slug, agent_input)
        assert response.status_code == 200, response.text
        body = response.json()
        assert isinstance(body["durationMs"], int)
        return body["output"]

    def catalog(self) -> list[dict[str, Any]]:
        response = self.client.get("/agents", headers={"Authorization": f"Bearer {SECRET}"})
        assert response.status_code == 200, response.text
        return response.json()["agents"]


@pytest.fixture(scope="session")
def real_agents() -> Iterator[AgentClient]:
    """The service with the real agents, started once for the whole run."""
    app = create_app(Settings(secret=SECRET, workers=2))
    with TestClient(app) as client:
        yield AgentClient(client)


FAKE_AGENTS: dict[str, str] = {
    "echo_agent.py": '''
        """Echo

        Repeats a text in upper case.

        Category: Testing
        Price cents: 0
        """
        from pydantic import BaseModel, Field

        class Input(BaseModel):
            text: str = Field(min_length=1)
            times: int = Field(default=1, ge=1, le=5)

        class Output(BaseModel):
            text: str

        def run(input: Input) -> Output:
            print("agents may print; it must not break the worker protocol")
            return Output(text=" ".join([input.text.upper()] * input.times))
    ''',
    "marker_agent.py": '''
        """Marker

        Appends a line to a file each time it runs, so tests can tell whether it ran.

        Price cents: 100
        """
        from pydantic import BaseModel

        MARKER = {marker!r}

        class Input(BaseModel):
            note: str = "ran"

        class Output(BaseModel):
            ok: bool

        def run(input: Input) -> Output:
            with open(MARKER, "a") as f:
                f.write(input.note + "\\n")
            return Output(ok=True)
    ''',
    "boom_agent.py": '''
        """Boom

        Always fails.

        Price cents: 0
        """
        from pydantic import BaseModel

        class Input(BaseModel):
            pass

        class Output(BaseModel):
            never: str

        def explode(reason):
            raise ValueError(reason)

        def run(input: Input) -> Output:
            explode("kaboom: the agent broke")
    ''',
    "slow_agent.py": '''
        """Slow

        Sleeps for a while.

        Price cents: 0
        """
        import time
        from pydantic import BaseModel

        class Input(BaseModel):
            seconds: float

        class Output(BaseModel):
            slept: float

        def run(input: Input) -> Output:
            time.sleep(input.seconds)
            return Output(slept=input.seconds)
    ''',
    "spin_agent.py": '''
        """Spin

        Burns CPU in pure Python for a while (holds the GIL the whole time).

        Price cents: 0
        """
        import time
        from pydantic import BaseModel

        class Input(BaseModel):
            seconds: float

        class Output(BaseModel):
            loops: int

        def run(input: Input) -> Output:
            end = time.perf_counter() + input.seconds
            loops = 0
            while time.perf_counter() < end:
                loops += 1
            return Output(loops=loops)
    ''',
    "steps_agent.py": '''
        """Steps

        Counts to a number, reporting its progress after each step.

        Price cents: 0
        """
        import time
        from pydantic import BaseModel, Field

        class Input(BaseModel):
            steps: int = Field(default=3, ge=0, le=10_000)
            pause: float = Field(default=0.0, ge=0)
            fail_at: int | None = None

        class Output(BaseModel):
            counted: int

        def fail(step):
            raise RuntimeError(f"step {step} went wrong")

        def run(input: Input, progress) -> Output:
            for step in range(1, input.steps + 1):
                time.sleep(input.pause)
                if step == input.fail_at:
                    fail(step)
                progress(step, input.steps, f"step {step}")
            return Output(counted=input.steps)
    ''',
    "crash_agent.py": '''
        """Crash

        Kills its own process.

        Price cents: 0
        """
        import os
        from pydantic import BaseModel

        class Input(BaseModel):
            pass

        class Output(BaseModel):
            never: str

        def run(input: Input) -> Output:
            os._exit(3)
    ''',
    "bad_output_agent.py": '''
        """Bad Output

        Returns something that is not its Output model.

        Price cents: 0
        """
        from pydantic import BaseModel

        class Input(BaseModel):
            pass

        class Output(BaseModel):
            count: int

        def run(input: Input):
            return {"count": "not a number"}
    ''',
    "env_agent.py": '''
        """Env

        Reports whether a variable is visible to agents.

        Price cents: 0
        """
        import os
        from pydantic import BaseModel

        class Input(BaseModel):
            name: str

        class Output(BaseModel):
            value: str | None

        def run(input: Input) -> Output:
            return Output(value=os.environ.get(input.name))
    ''',
    # Broken modules: each must be skipped with a logged error, not crash the service.
    "syntax_error_agent.py": '''
        """Syntax Error

        Does not even parse.

        Price cents: 0
        """
        def run(:
    ''',
    "no_run_agent.py": '''
        """No Run

        Has models but no run function.

        Price cents: 0
        """
        from pydantic import BaseModel

        class Input(BaseModel):
            pass

        class Output(BaseModel):
            pass
    ''',
    "no_docstring_agent.py": """
        from pydantic import BaseModel

        class Input(BaseModel):
            pass

        class Output(BaseModel):
            pass

        def run(input):
            return Output()
    """,
    "import_error_agent.py": '''
        """Import Error

        Needs a package that is not installed.

        Price cents: 0
        """
        import package_that_does_not_exist_anywhere  # noqa
    ''',
    "_helper.py": '''
        """Not an agent: files starting with an underscore are skipped."""
        raise RuntimeError("must never be imported")
    ''',
}
VALID_FAKES = {"echo", "marker", "boom", "slow", "spin", "steps", "crash", "bad-output", "env"}


def write_fake_agents(folder: Path, marker: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, source in FAKE_AGENTS.items():
        text = textwrap.dedent(source).lstrip()
        if name == "marker_agent.py":
            text = text.replace("{marker!r}", repr(str(marker)))
        (folder / name).write_text(text)
    return folder


@pytest.fixture(scope="session")
def fake_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("fake-agents")
    return write_fake_agents(base / "agents", base / "marker.txt")


@pytest.fixture
def marker(fake_dir: Path) -> Iterator[Path]:
    path = fake_dir.parent / "marker.txt"
    path.unlink(missing_ok=True)
    yield path
    path.unlink(missing_ok=True)


FAKE_TIME_LIMIT = 1.5
FAKE_STREAM_TIME_LIMIT = 2.5


@pytest.fixture(scope="session")
def fake_agents(fake_dir: Path) -> Iterator[AgentClient]:
    settings = Settings(
        secret=SECRET,
        agents_dir=fake_dir,
        time_limit_seconds=FAKE_TIME_LIMIT,
        stream_time_limit_seconds=FAKE_STREAM_TIME_LIMIT,
        workers=2,
        max_body_bytes=64 * 1024,
    )
    with TestClient(create_app(settings)) as client:
        yield AgentClient(client)
