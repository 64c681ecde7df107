"""README.md's walkthrough, run top to bottom against a live server.

The convention every README section follows:

- A fenced block opened with ```sh is **executed**. All of them run in order,
  as one bash script (variables set in one block are there in the next),
  from the repository root, against gunicorn on a fresh database. Write them
  for a newcomer who pastes them into a terminal beside `./dev serve`.
- Every other fence (```console for shell shown only: servers, production,
  prompts; ```text, ```json) is not executed.
- A comment line `# NNN ...` right after a command states the status the
  command's last `curl` answers; the test checks it. If the text after the
  status starts with literal JSON without `...`, the body must equal it
  (`# 200 {"msg": "Logged out."}`). Further `#` lines below it are prose
  (alternatives such as `# 400 ...`). A `curl` with no such comment must
  answer 2xx. So write `curl -s` without `-o`, `-w` or `-i`.
- Ids come from earlier answers (look a user up by username, never hard-code
  an id); mail links come from the mail `./dev serve` prints, which it also
  writes to `serve.log` (see `mail_token` in the README).
- Blocks run in README order: a section that needs a user, a token or a
  mail sets it up itself or uses what earlier sections leave (say which).

The service runs as the Procfile says, when there is one: its `release:`
command first (else `migrate`), then gunicorn for `web:` and every other
process (a mail worker), all writing to the one log that stands for
`serve.log`. The test substitutes only the server's address
(`http://127.0.0.1:8000`) and `serve.log`. The whole walkthrough is bounded:
each curl by 30 s, the script by `SCRIPT_TIMEOUT`.
"""

import contextlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
from dataclasses import dataclass

import pytest

from accounts.tests.fixtures import require
from project.tests import live

README = live.BASE_DIR / "README.md"
DEV_URL = "http://127.0.0.1:8000"
SCRIPT_TIMEOUT = 240
FENCE = re.compile(r"^```(\S*)\s*$")
EXPECT = re.compile(r"^\s*# ([1-5]\d\d)\b(.*)$")

# Records every curl (status and body) so the expectations can be checked
# after the script, with the README line they come from.
PRELUDE = r"""
set -euo pipefail
echo 0 > "$README_LOG/n"
curl() {
    local n status
    n=$(( $(cat "$README_LOG/n") + 1 )); echo "$n" > "$README_LOG/n"
    status=$(command curl --max-time 30 -o "$README_LOG/$n.body" -w '%{http_code}' "$@")
    echo "call $n $status" >> "$README_LOG/events"
    cat "$README_LOG/$n.body"
}
__expect() { echo "expect $1" >> "$README_LOG/events"; }
__block() { echo "block $1" >> "$README_LOG/events"; }
"""


@dataclass
class Expectation:
    line: int
    status: int
    body: object  # the literal JSON body, or None for "status only"


def executed_blocks(text):
    """Yield (first line number, lines) of every ```sh block, in order."""
    block, start = None, 0
    for number, line in enumerate(text.splitlines(), start=1):
        fence = FENCE.match(line)
        if block is None and fence:
            block, start, lang = [], number + 1, fence.group(1)
        elif block is not None and line.startswith("```"):
            if lang == "sh":
                yield start, block
            block = None
        elif block is not None:
            block.append(line)


def _literal_body(rest):
    rest = rest.strip()
    if not rest.startswith(("{", "[")) or "..." in rest:
        return None
    try:
        value, _ = json.JSONDecoder().raw_decode(rest)
    except ValueError:
        return None
    return value


def build_script(text):
    """Return the bash script of the README's ```sh blocks and its expectations."""
    lines, expectations = [PRELUDE], {}
    for start, block in executed_blocks(text):
        lines.append(f"__block {start}")
        previous = ""
        for offset, line in enumerate(block):
            number = start + offset
            lines.append(line)
            match = EXPECT.match(line)
            if match and previous.strip() and not previous.lstrip().startswith("#"):
                expectations[number] = Expectation(
                    number, int(match.group(1)), _literal_body(match.group(2))
                )
                lines.append(f"__expect {number}")
            previous = line
    return "\n".join(lines) + "\n", expectations


def check_events(log_dir, expectations):
    """Return a list of failures: wrong statuses or bodies, unchecked non-2xx calls."""
    failures, pending, block = [], None, None
    events = (log_dir / "events").read_text().splitlines() if (log_dir / "events").exists() else []

    def settle(call):
        if call and not 200 <= call[1] < 300:
            failures.append(f"README.md block at line {block}: curl answered {call[1]}: {call[2]}")

    for event in events:
        kind, value, *rest = event.split()
        if kind == "block":
            settle(pending)
            pending, block = None, int(value)
        elif kind == "call":
            settle(pending)
            body = (log_dir / f"{value}.body").read_text(errors="replace")
            pending = (int(value), int(rest[0]), body)
        elif kind == "expect":
            expected = expectations[int(value)]
            if pending is None:
                failures.append(f"README.md:{value}: no curl before this status comment")
                continue
            _, status, body = pending
            pending = None
            if status != expected.status:
                failures.append(f"README.md:{value}: expected {expected.status}, got {status}")
            elif expected.body is not None and _json(body) != expected.body:
                failures.append(f"README.md:{value}: expected {expected.body}, got {body}")
    settle(pending)
    return failures


def _json(text):
    try:
        return json.loads(text)
    except ValueError:
        return text


def procfile():
    """Return the Procfile's processes, {name: command}, or {} without one."""
    path = live.BASE_DIR / "Procfile"
    if not path.exists():
        return {}
    entries = (line.split(":", 1) for line in path.read_text().splitlines() if ":" in line)
    return {name.strip(): command.strip() for name, command in entries if name.strip()[:1] != "#"}


@contextlib.contextmanager
def other_processes(processes, env, log):
    """Run the Procfile's processes other than web and release, appending to `log`."""
    started = []
    with open(log, "a") as out:
        for name, command in processes.items():
            if name in ("web", "release"):
                continue
            started.append(
                subprocess.Popen(
                    ["bash", "-c", command],
                    cwd=live.BASE_DIR,
                    env=env,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            )
    try:
        yield
    finally:
        for process in started:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


@pytest.fixture
def database_url(tmp_path):
    """A fresh database: a throwaway one on the suite's PostgreSQL server, else SQLite."""
    with live.fresh_database(tmp_path) as url:
        yield url


def test_readme_keeps_an_executed_walkthrough():
    _, expectations = build_script(README.read_text())
    assert len(list(executed_blocks(README.read_text()))) >= 10
    assert len(expectations) >= 20


def test_readme_walkthrough_runs_top_to_bottom(database_url, tmp_path):
    require(shutil.which("curl") and shutil.which("bash"), "needs curl and bash")
    # The Procfile says `python`, as platforms do: here, this virtualenv's.
    path = f"{os.path.dirname(sys.executable)}{os.pathsep}{os.environ.get('PATH', '')}"
    env = live.app_env(DATABASE_URL=database_url, EMAIL_URL="consolemail://", PATH=path)
    processes = procfile()
    if "release" in processes:
        release = ["bash", "-c", processes["release"]]
        subprocess.run(release, cwd=live.BASE_DIR, env=env, check=True, timeout=120)
    else:
        live.manage(env, "migrate", "--noinput")
    log_dir = tmp_path / "calls"
    log_dir.mkdir()
    with (
        live.gunicorn(env, log_dir=tmp_path) as server,
        other_processes(processes, env, server.log),
    ):
        script, expectations = build_script(README.read_text())
        script = script.replace(DEV_URL, server.url).replace("serve.log", str(server.log))
        (tmp_path / "walkthrough.sh").write_text(script)
        result = subprocess.run(
            ["bash", str(tmp_path / "walkthrough.sh")],
            cwd=live.BASE_DIR,
            env={**env, "README_LOG": str(log_dir)},
            capture_output=True,
            text=True,
            timeout=SCRIPT_TIMEOUT,
        )
    failures = check_events(log_dir, expectations)
    reached = [e for e in (log_dir / "events").read_text().splitlines() if e.startswith("block")]
    assert result.returncode == 0, (
        f"the walkthrough stopped in the README.md block at line {reached[-1].split()[1]}:\n"
        f"{result.stderr[-3000:]}\n{failures}"
    )
    assert failures == []
    assert set(expectations) == {
        int(e.split()[1])
        for e in (log_dir / "events").read_text().splitlines()
        if e.startswith("expect")
    }


def test_status_comments_become_expectations():
    text = "\n".join([
        "```sh",
        "curl -s http://127.0.0.1:8000/healthz",
        '# 200 {"status": "ok", "checks": {}}',
        "# 503 when it is down",
        "curl -s -X POST http://127.0.0.1:8000/user/login",
        "# 400 the field errors {...}",
        "```",
        "```console",
        "curl -s http://127.0.0.1:8000/never",
        "# 200",
        "```",
    ])  # fmt: skip
    script, expectations = build_script(text)

    assert expectations == {
        3: Expectation(3, 200, {"status": "ok", "checks": {}}),
        6: Expectation(6, 400, None),
    }
    assert "/never" not in script
