"""The steps of docker/check (issue 12), run by that script against the Docker engine it started.

1. images: a Debian base (debootstrap + ``docker import``, cached), the local Python, PostgreSQL and nginx bases,
   the project image (pip's settings of this machine passed as build secrets, never into the image);
2. one container as a user runs it: health, both WSDLs, Di01 → Bv03, vrdLv01 → La01, uid 10001, a read-only
   root, ``docker stop`` with a request in flight, a new container on the same volume;
3. compose.yaml (+ compose.check.yaml): PostgreSQL, two replicas, the proxy, the worker; 200 messages over both
   replicas, identical resends to both at once, one replica killed mid-run;
4. an upgrade from the previous release's image on a volume;
5. the image size and the time of each step.

Every failure names its step; the containers' logs are then in $STUF_FIN_CHECK_LOGS.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import http.server
import json
import os
import random
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import httpx
from lxml import etree

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from stuf_fin.namespaces import FIN, SOAP_ENV, STUF  # noqa: E402
from stuf_fin.selftest import generator as g  # noqa: E402
from stuf_fin.stuf.operations import OPERATIONS  # noqa: E402

DOCKER = os.environ.get("STUF_FIN_CHECK_DOCKER", "/usr/bin/docker")
COMPOSE = os.environ.get("STUF_FIN_CHECK_COMPOSE", "docker-compose")
STATE = Path(os.environ.get("STUF_FIN_CHECK_STATE", "/var/lib/stuf-fin-check"))
LOGS = Path(os.environ.get("STUF_FIN_CHECK_LOGS", REPO / "build" / "docker-check"))
KEEP = os.environ.get("STUF_FIN_CHECK_KEEP") == "true"
PREVIOUS_REV = os.environ.get("STUF_FIN_CHECK_PREVIOUS")  # default: the last tag before HEAD, else HEAD^

NAME = "stuf-fin-check"
DEBIAN, PYTHON = f"{NAME}/debian:bookworm", f"{NAME}/python:3.11"
POSTGRES, NGINX = f"{NAME}/postgres:15", f"{NAME}/nginx:bookworm"
IMAGE, PREVIOUS = "stuf-fin:check", "stuf-fin:check-previous"
MAX_IMAGE_MB = 250
STOP_LIMIT = 10.0  # seconds: docker stop's default grace period
MESSAGES = 200  # step 3
ACTIONS = {op.element.split("}")[1]: op.soap_action for op in OPERATIONS}
F, S = f"{{{FIN}}}", f"{{{STUF}}}"


class CheckFailed(Exception):
    """What went wrong, in words an operator can act on."""


def expect(condition: Any, message: str) -> None:
    if not condition:
        raise CheckFailed(message)


# -- running things ---------------------------------------------------------------------------------------------

def run(*args: str, check: bool = True, env: dict[str, str] | None = None, timeout: float = 900,
        log: Path | None = None) -> subprocess.CompletedProcess:
    environment = {**os.environ, **(env or {})}
    proc = subprocess.run(args, capture_output=True, text=True, env=environment, timeout=timeout,
                          stdin=subprocess.DEVNULL)
    if log is not None:
        log.write_text(proc.stdout + proc.stderr)
    if check and proc.returncode != 0:
        tail = "\n".join((proc.stdout + proc.stderr).strip().splitlines()[-15:])
        where = f" (whole output: {log})" if log else ""
        raise CheckFailed(f"`{' '.join(_short(a) for a in args[:6])} …` exited with {proc.returncode}{where}:\n{tail}")
    return proc


def _short(arg: str) -> str:
    return arg if len(arg) < 60 else arg[:57] + "..."


def docker(*args: str, **kwargs: Any) -> str:
    return run(DOCKER, *args, **kwargs).stdout.strip()


def inspect(container: str, template: str) -> str:
    return docker("inspect", "--format", template, container)


def wait_until(condition: Callable[[], Any], what: str, timeout: float = 60, interval: float = 0.2) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        try:
            result = condition()
        except (httpx.TransportError, OSError, CheckFailed):
            result = None
        if result:
            return result
        if time.monotonic() > deadline:
            raise CheckFailed(f"{what}: not within {timeout:.0f} s")
        time.sleep(interval)


# -- steps and their times --------------------------------------------------------------------------------------

TIMES: list[tuple[str, float]] = []


class StepFailed(Exception):
    def __init__(self, name: str, cause: BaseException):
        super().__init__(name)
        self.name, self.cause = name, cause


@contextlib.contextmanager
def step(name: str) -> Iterator[None]:
    print(f"== {name}", flush=True)
    started = time.monotonic()
    try:
        yield
    except Exception as exc:
        raise StepFailed(name, exc) from exc
    TIMES.append((name, time.monotonic() - started))
    print(f"   done in {TIMES[-1][1]:.1f} s", flush=True)


def note(text: str) -> None:
    print(f"   {text}", flush=True)


# -- SOAP -------------------------------------------------------------------------------------------------------

@dataclass
class Answer:
    status: int
    outcome: str  # Bv03, La01, Fo03 StUF016, ...
    message: bytes  # the StUF message (canonical XML): Body's child, or the Fo0x inside the Fault
    element: etree._Element

    def vorderingnummers(self) -> list[str]:
        return [o.findtext(F + "vorderingnummer") for o in self.element.findall(f"{F}antwoord/{F}object")]


def post(base: str, body: bytes, timeout: float | httpx.Timeout = 60) -> Answer:
    local = etree.QName(etree.fromstring(body)).localname
    port = "BeantwoordVraag" if local == "vrdLv01" else "VerstrekVorderingOfVerantwoording"
    response = httpx.post(f"{base}/{port}", content=g.soap(body), timeout=timeout,
                          headers={"Content-Type": "text/xml; charset=utf-8", "SOAPAction": f'"{ACTIONS[local]}"'})
    return _answer(response.status_code, response.content)


def _answer(status: int, content: bytes) -> Answer:
    try:
        child = etree.fromstring(content).find(f"{{{SOAP_ENV}}}Body")[0]
    except (etree.XMLSyntaxError, TypeError, IndexError) as exc:
        raise CheckFailed(f"HTTP {status}, not a SOAP answer ({exc}): {content[:300]!r}") from exc
    if child.tag == f"{{{SOAP_ENV}}}Fault":
        child = child.find("detail")[0]
        outcome = f"{etree.QName(child).localname[:4]} {child.findtext(f'{S}body/{S}code')}"
    else:
        outcome = {"Bv03Bericht": "Bv03", "vrdLa01": "La01"}.get(etree.QName(child).localname, child.tag)
    return Answer(status, outcome, etree.tostring(child, method="c14n"), child)


def accepted(base: str, body: bytes) -> Answer:
    answer = post(base, body)
    expect(answer.outcome == "Bv03", f"{base}: expected Bv03, got {answer.outcome}: {answer.message[:400]!r}")
    return answer


def found(base: str, vorderingnummer: str) -> Answer:
    answer = post(base, g.vrdLv01(vorderingnummer))
    expect(answer.outcome == "La01" and answer.vorderingnummers() == [vorderingnummer],
           f"{base}: vrdLv01 {vorderingnummer} → {answer.outcome} {answer.vorderingnummers()}")
    return answer


class Messages:
    """Di01-verstrekVordering messages of this run: unique referentienummers and vorderingnummers."""

    def __init__(self, label: str):
        self.rng = random.Random(label)
        self.run = f"{label}{secrets.token_hex(3)}"
        self.count = 0

    def next(self, vorderingen: int = 1) -> tuple[bytes, list[g.VorderingSpec]]:
        specs = []
        for _ in range(vorderingen):
            self.count += 1
            specs.append(g.random_vordering(self.rng, self.count, prefix=self.run))
        return g.di01_vordering(specs, referentienummer=f"{self.run}-{self.count}"), specs


# -- pip's settings for the build: build secrets, local folders served on loopback ------------------------------

class _Folders(http.server.SimpleHTTPRequestHandler):
    """Files under ``roots`` by their absolute path (relative links of a simple index, ``../../files/…``, work)."""

    roots: ClassVar[list[Path]] = []

    def translate_path(self, path: str) -> str:
        target = Path(urllib.parse.unquote(path.split("?", 1)[0].split("#", 1)[0]))
        if ".." in target.parts or not any(target.is_relative_to(root) for root in self.roots):
            return "/nonexistent"
        return str(target)

    def log_message(self, format: str, *args: Any) -> None:
        pass


def _pip_config() -> dict[str, str]:
    """This machine's effective pip settings (``pip config list``: environment before files)."""
    out = run(sys.executable, "-m", "pip", "config", "list").stdout
    values: dict[str, str] = {}
    for line in sorted(out.splitlines(), key=lambda line: not line.startswith(":env:")):
        match = re.match(r"^([^=]+?)\.([\w-]+)='(.*)'$", line)
        if match:
            values.setdefault(match.group(2), match.group(3))
    return values


@contextlib.contextmanager
def pip_for_build() -> Iterator[list[str]]:
    """``docker build`` arguments that give pip in the build this machine's index settings: a pip.conf and the CA
    bundle as build secrets (files in a private temporary folder, deleted afterwards); local index folders and
    find-links folders are served read-only on 127.0.0.1 for the build (``--network=host``)."""
    config = _pip_config()
    roots: list[Path] = []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), type("Handler", (_Folders,), {"roots": roots}))
    base = f"http://127.0.0.1:{server.server_address[1]}"

    def reachable(location: str, index: bool) -> str:
        if re.match(r"^https?://", location):
            return location
        path = Path(urllib.parse.unquote(location[len("file://"):]) if location.startswith("file://") else location)
        roots.append(path.resolve().parent if index else path.resolve())  # an index's files lie beside it
        return base + urllib.parse.quote(str(path.resolve())) + "/"

    lines = ["[global]"]
    for key in ("index-url", "extra-index-url", "find-links"):
        if config.get(key):
            lines.append(f"{key} = " + " ".join(reachable(v, key != "find-links") for v in config[key].split()))
    for key in ("trusted-host", "timeout", "default-timeout"):
        if config.get(key):
            lines.append(f"{key} = {config[key]}")
    workdir = Path(tempfile.mkdtemp(prefix="stuf-fin-check-pip-"))
    args = []
    cert = config.get("cert") or os.environ.get("REQUESTS_CA_BUNDLE")
    if cert and Path(cert).is_file():
        shutil.copyfile(cert, workdir / "pip-ca.crt")
        lines.append("cert = /run/secrets/pip-ca.crt")
        args += ["--secret", f"id=pip-ca.crt,src={workdir / 'pip-ca.crt'}"]
    (workdir / "pip.conf").write_text("\n".join(lines) + "\n")
    args += ["--secret", f"id=pip.conf,src={workdir / 'pip.conf'}"]
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield args
    finally:
        server.shutdown()
        server.server_close()
        shutil.rmtree(workdir, ignore_errors=True)


# -- step 1: images ---------------------------------------------------------------------------------------------

def image_exists(name: str) -> bool:
    return run(DOCKER, "image", "inspect", name, check=False).returncode == 0


def debian_mirror() -> list[str]:
    """The Debian mirror this machine's apt uses (an air-gapped street's own), or none: debootstrap's default."""
    out = run("apt-get", "indextargets", "--format", "$(REPO_URI) $(RELEASE)", check=False).stdout
    for line in sorted(set(out.splitlines())):
        uri, _, release = line.partition(" ")
        if release == "bookworm":
            return [uri]
    return []


def build_debian_base() -> None:
    if image_exists(DEBIAN):
        note(f"{DEBIAN}: cached")
        return
    rootfs = STATE / "rootfs.tmp"
    shutil.rmtree(rootfs, ignore_errors=True)
    run("debootstrap", "--variant=minbase", "bookworm", str(rootfs), *debian_mirror(),
        log=LOGS / "debootstrap.log")
    for folder in ("var/cache/apt/archives", "var/lib/apt/lists", "usr/share/doc", "usr/share/man",
                   "usr/share/locale", "usr/share/info"):
        for child in (rootfs / folder).glob("*"):
            if child.is_dir() and not child.is_symlink():
                shutil.rmtree(child)
            elif child.name != "lock":
                child.unlink()
    for cache in (rootfs / "var/cache/apt").glob("*.bin"):
        cache.unlink()
    (rootfs / "etc/dpkg/dpkg.cfg.d/slim").write_text(
        "".join(f"path-exclude /usr/share/{d}/*\n" for d in ("doc", "man", "locale", "info")))
    tar = subprocess.Popen(["tar", "-C", str(rootfs), "--numeric-owner", "-c", "."], stdout=subprocess.PIPE)
    run_import = subprocess.run([DOCKER, "import", "-", DEBIAN], stdin=tar.stdout, capture_output=True, text=True)
    tar.wait()
    expect(tar.returncode == 0 and run_import.returncode == 0, f"docker import failed: {run_import.stderr}")
    shutil.rmtree(rootfs)
    note(f"{DEBIAN}: debootstrap --variant=minbase bookworm, imported")


LOCAL = {"python": PYTHON, "postgres": POSTGRES, "nginx": NGINX}


def build_local(*names: str) -> str:
    for name in names:
        run(DOCKER, "build", "--network=host", "--build-arg", f"DEBIAN_IMAGE={DEBIAN}", "-t", LOCAL[name],
            "-f", str(REPO / "docker" / "local" / f"{name}.Dockerfile"), str(REPO / "docker" / "local"),
            log=LOGS / f"build-{name}.log")
    return f"{', '.join(LOCAL[n] for n in names)}: built (layers cached)"


class Background:
    """A build in a daemon thread while the steps go on; :meth:`result` waits for it and raises its error."""

    def __init__(self, what: str, build: Callable[[], str]):
        self.what, self._result, self._error = what, "", None
        self._thread = threading.Thread(target=self._run, args=(build,), name=what, daemon=True)
        self._thread.start()

    def _run(self, build: Callable[[], str]) -> None:
        try:
            self._result = build()
        except BaseException as exc:
            self._error = exc

    def result(self) -> str:
        started = time.monotonic()
        self._thread.join()
        if self._error is not None:
            raise CheckFailed(f"{self.what} (built in the background): {self._error}")
        waited = time.monotonic() - started
        return self._result + (f" (waited {waited:.1f} s for it)" if waited >= 0.1 else "")


def build_project(context: Path, tag: str, pip_args: list[str], python_image: str = PYTHON,
                  label: str | None = None) -> None:
    labels = ["--label", f"org.opencontainers.image.revision={label}"] if label else []
    run(DOCKER, "build", "--network=host", *pip_args, *labels, "--build-arg", f"PYTHON_IMAGE={python_image}",
        "-t", tag, "-f", str(context / "docker" / "Dockerfile"), str(context),
        log=LOGS / f"build-{tag.replace(':', '-')}.log")


# -- step 2: one container --------------------------------------------------------------------------------------

NETWORK = NAME
ROUTES = ["-v", f"{REPO / 'docker' / 'check-outbound.toml'}:/etc/stuf-fin/outbound.toml:ro",
          "-e", "STUF_FIN_OUTBOUND_FILE=/etc/stuf-fin/outbound.toml"]


def start_container(name: str, image: str, volume: str, *extra: str) -> str:
    """``docker run`` as in docs/operator.md, the port published on a free loopback port; the base URL."""
    docker("run", "-d", "--name", name, "--network", NETWORK, "-p", "127.0.0.1::8000",
           "-v", f"{volume}:/var/lib/stuf-fin", "-e", "STUF_FIN_ALLOW_ANONYMOUS=true", *extra, image)
    port = docker("port", name, "8000/tcp").splitlines()[0].rsplit(":", 1)[1]
    base = f"http://127.0.0.1:{port}"

    def healthy() -> bool:
        if inspect(name, "{{.State.Running}}") != "true":
            raise CheckFailed(f"container {name} exited ({inspect(name, '{{.State.ExitCode}}')}):\n"
                              + run(DOCKER, "logs", "--tail", "20", name).stderr)
        return httpx.get(base + "/health", timeout=2).status_code == 200

    deadline = time.monotonic() + 90
    while True:
        try:
            if healthy():
                return base
        except httpx.TransportError:
            pass
        expect(time.monotonic() < deadline, f"container {name}: /health not 200 within 90 s")
        time.sleep(0.2)


def container_log(name: str) -> str:
    proc = run(DOCKER, "logs", name, check=False)
    return proc.stdout + proc.stderr


def _unread(pid: str, port: int) -> list[int]:
    """Bytes waiting unread in each established connection to ``port`` in the network namespace of ``pid``."""
    queues = []
    for line in Path(f"/proc/{pid}/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        if int(fields[1].split(":")[1], 16) == port and fields[3] == "01":
            queues.append(int(fields[4].split(":")[1], 16))
    return queues


def step_one_container() -> None:
    messages = Messages("ONE")
    name, volume = f"{NAME}-one", f"{NAME}-one"
    with step("2a one container: health, WSDLs, Bv03, La01, uid 10001, read-only root"):
        base = start_container(name, IMAGE, volume, "--read-only", "--tmpfs", "/tmp", *ROUTES)
        health = httpx.get(base + "/health", timeout=10)
        expect(health.status_code == 200 and health.json() == {"status": "ok"}, f"/health: {health.text}")
        for port in ("VerstrekVorderingOfVerantwoording", "BeantwoordVraag"):
            wsdl = httpx.get(f"{base}/{port}?wsdl", timeout=10)
            expect(wsdl.status_code == 200, f"{port}?wsdl: HTTP {wsdl.status_code}")
            root = etree.fromstring(wsdl.content)
            addresses = [a.get("location") for a in root.iter("{http://schemas.xmlsoap.org/wsdl/soap/}address")]
            expect(addresses == [f"{base}/{port}"], f"{port}?wsdl: soap:address {addresses}, expected {base}/{port}")
        body, specs = messages.next(2)
        accepted(base, body)
        for spec in specs:
            found(base, spec.vorderingnummer)
        pid = inspect(name, "{{.State.Pid}}")
        uids = re.search(r"^Uid:\s+(.*)$", Path(f"/proc/{pid}/status").read_text(), re.M).group(1).split()
        expect(set(uids) == {"10001"}, f"the gateway process runs with uids {uids}, expected 10001")
        expect(inspect(name, "{{.HostConfig.ReadonlyRootfs}}") == "true", "root filesystem not read-only")
        write = run(DOCKER, "exec", name, "sh", "-c", "touch /app/probe", check=False)
        expect(write.returncode != 0 and "Read-only file system" in write.stderr,
               f"writing to /app did not fail as read-only: {write.stderr}")
        healthcheck = json.loads(inspect(name, "{{json .Config.Healthcheck.Test}}"))
        expect(healthcheck == ["CMD", "stuf-fin", "health"], f"the image's HEALTHCHECK is {healthcheck}")
        health_command = run(DOCKER, "exec", name, "stuf-fin", "health", check=False)
        expect(health_command.returncode == 0, f"HEALTHCHECK command failed: {health_command.stderr}")
        note(f"{base}: uid {uids[0]}, read-only root (+ tmpfs /tmp), HEALTHCHECK passes, "
             "2 vorderingen stored and found")

    with step("2b docker stop with a request in flight"):
        in_flight, later = messages.next(1)
        payload = g.soap(in_flight)
        host, port = base.rsplit("//", 1)[1].split(":")
        head = (f"POST /VerstrekVorderingOfVerantwoording HTTP/1.1\r\nHost: {host}:{port}\r\n"
                f"Content-Type: text/xml; charset=utf-8\r\nSOAPAction: \"{ACTIONS['Di01-verstrekVordering']}\"\r\n"
                f"Content-Length: {len(payload)}\r\n\r\n").encode()
        client = socket.create_connection((host, int(port)), timeout=30)
        client.sendall(head + payload[:300])
        wait_until(lambda: _unread(pid, 8000) and not any(_unread(pid, 8000)),
                   "the gateway read the start of the request", timeout=20, interval=0.05)
        started = time.monotonic()
        stopper = threading.Thread(target=lambda: run(DOCKER, "stop", name), daemon=True)
        stopper.start()
        wait_until(lambda: "Shutting down" in container_log(name), "the gateway began shutting down", timeout=10,
                   interval=0.05)
        client.sendall(payload[300:])
        raw = b""
        while chunk := client.recv(65536):
            raw += chunk
        client.close()
        stopper.join(30)
        seconds = time.monotonic() - started
        head_line = raw.split(b"\r\n", 1)[0].decode(errors="replace")
        expect(raw.startswith(b"HTTP/1.1 200"), f"the request in flight got {head_line!r} instead of an answer")
        answer = _answer(200, raw.split(b"\r\n\r\n", 1)[1])
        expect(answer.outcome == "Bv03", f"the request in flight got {answer.outcome}")
        state = json.loads(inspect(name, "{{json .State}}"))
        expect(not state["Running"], "the container still runs after docker stop")
        log = container_log(name)
        expect(state["ExitCode"] == 0 and not state["OOMKilled"],
               f"exit code {state['ExitCode']} (137: killed after the grace period)\n{log[-1500:]}")
        expect(seconds < STOP_LIMIT, f"docker stop took {seconds:.1f} s (limit {STOP_LIMIT:.0f} s)")
        for line in ("outbox worker stopped", "Application shutdown complete", "stuf_fin.serve"):
            expect(line in log, f"the container's log lacks {line!r} after docker stop:\n{log[-1500:]}")
        note(f"stopped in {seconds:.1f} s, exit code 0, the request in flight answered Bv03")

    with step("2c a new container on the same volume"):
        docker("rm", name)
        base = start_container(name, IMAGE, volume, "--read-only", "--tmpfs", "/tmp")
        for spec in specs + later:
            found(base, spec.vorderingnummer)
        resend = post(base, body)
        expect(resend.outcome == "Bv03", f"identical resend after the restart: {resend.outcome}")
        docker("rm", "-f", name)
        docker("volume", "rm", volume)
        note("3 vorderingen found again (incl. the one in flight); the identical resend answered Bv03")


# -- step 3: compose --------------------------------------------------------------------------------------------

PROJECT = NAME
COMPOSE_ENV = {"POSTGRES_PASSWORD": secrets.token_hex(12), "STUF_FIN_CHECK_IMAGE": IMAGE,
               "STUF_FIN_CHECK_POSTGRES_IMAGE": POSTGRES, "STUF_FIN_CHECK_NGINX_IMAGE": NGINX}


def compose(*args: str, **kwargs: Any) -> subprocess.CompletedProcess:
    return run(COMPOSE, "-p", PROJECT, "-f", str(REPO / "docker" / "compose.yaml"),
               "-f", str(REPO / "docker" / "compose.check.yaml"), "--profile", "worker", *args,
               env=COMPOSE_ENV, **kwargs)


def sql(query: str) -> str:
    return compose("exec", "-T", "postgres", "psql", "-U", "stuf_fin", "-d", "stuf_fin", "-tAc",
                   query).stdout.strip()


def service_urls(service: str, port: int = 8000) -> list[str]:
    ids = compose("ps", "-q", service).stdout.split()
    return [f"http://{inspect(i, '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}')}:{port}"
            for i in sorted(ids, key=lambda i: inspect(i, "{{.Name}}"))]


def step_compose(stand_ins: Background) -> None:
    messages = Messages("CMP")
    with step("3a compose up: PostgreSQL, 2 replicas, proxy, worker; config check"):
        note(stand_ins.result())
        compose("up", "-d", "--no-build", log=LOGS / "compose-up.log")
        replicas = service_urls("gateway")
        expect(len(replicas) == 2, f"expected 2 gateway replicas, compose runs {len(replicas)}")
        for url in replicas:
            wait_until(lambda url=url: httpx.get(url + "/ready", timeout=2).status_code == 200,
                       f"replica {url} /ready", timeout=120)
        checked = compose("run", "--rm", "--no-deps", "gateway", "config", "check", "--connect", check=False)
        expect(checked.returncode == 0 and "migrations current" in checked.stdout,
               f"config check --connect exited {checked.returncode}:\n{checked.stdout[-1500:]}{checked.stderr}")
        proxy = "http://" + compose("port", "proxy", "8080").stdout.strip()
        wait_until(lambda: httpx.get(proxy + "/ready", timeout=2).status_code == 200, "the proxy's /ready")
        wsdl = etree.fromstring(httpx.get(proxy + "/BeantwoordVraag?wsdl", timeout=10).content)
        address = next(wsdl.iter("{http://schemas.xmlsoap.org/wsdl/soap/}address")).get("location")
        expect(address == f"{proxy}/BeantwoordVraag", f"WSDL through the proxy names {address}")
        note(f"replicas {', '.join(replicas)}; proxy {proxy}; config check --connect: migrations current")

    a, b = replicas
    stored: dict[str, g.VorderingSpec] = {}  # vorderingnummer -> spec, of every message answered Bv03
    sent = 0
    with step("3b identical messages to both replicas at once; StUF016"):
        pairs = [messages.next(1 + i % 3) for i in range(20)]
        barrier = threading.Barrier(2)

        def at_once(url: str, body: bytes) -> Answer:
            barrier.wait(30)
            return post(url, body)

        with concurrent.futures.ThreadPoolExecutor(2) as pool:
            for body, specs in pairs:  # each pair at the same moment, one to each replica
                first, second = pool.submit(at_once, a, body), pool.submit(at_once, b, body)
                answers = [first.result(), second.result()]
                sent += 2
                outcomes = [x.outcome for x in answers]
                expect(outcomes == ["Bv03", "Bv03"],
                       f"identical resends at the same time to both replicas got {outcomes} (each must be Bv03; "
                       f"Fo03 StUF058 here is the race of issue 16)")
                expect(answers[0].message == answers[1].message,
                       "identical resends got different Bv03 answers (StUF016: the same answer again)")
                stored.update({s.vorderingnummer: s for s in specs})
        for body, specs in pairs[:10]:  # a different message with a used referentienummer: StUF016
            changed = body.replace(specs[0].vorderingnummer.encode(), specs[0].vorderingnummer.encode() + b"X")
            answer = post(b, changed)
            sent += 1
            expect(answer.outcome == "Fo03 StUF016", f"changed message, used referentienummer: {answer.outcome}")
        note("20 identical pairs answered Bv03 with identical answers; 10 changed resends got Fo03 StUF016")

    with step(f"3c {MESSAGES} messages in all, a replica killed; nothing half-stored"):
        rest = [messages.next(1 + i % 2) for i in range(MESSAGES - sent)]
        answered, lost = 0, []
        lock = threading.Lock()
        killing, killed = threading.Event(), threading.Event()
        victim = compose("ps", "-q", "gateway").stdout.split()
        victim = sorted(victim, key=lambda i: inspect(i, "{{.Name}}"))[1]  # replica b

        def kill() -> None:  # while messages to b are in flight
            docker("kill", victim)
            killed.set()

        def send(index: int) -> None:
            nonlocal answered
            body, specs = rest[index]
            url = a if index % 2 == 0 or killed.is_set() else b  # after the kill, as a load balancer would: a
            try:
                answer = post(url, body, timeout=httpx.Timeout(10, connect=3))  # a killed replica never answers
            except httpx.TransportError:  # in flight to b when it was killed
                expect(url == b and killing.is_set(), f"replica {url} did not answer message {index}")
                with lock:
                    lost.append(index)
                return
            expect(answer.outcome == "Bv03", f"{url}: message {index} got {answer.outcome}")
            with lock:
                answered += 1
                stored.update({s.vorderingnummer: s for s in specs})
                if answered == len(rest) // 3 and not killing.is_set():
                    killing.set()
                    killer.start()

        killer = threading.Thread(target=kill, daemon=True)
        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            list(pool.map(send, range(len(rest))))
        killer.join(30)
        expect(killed.is_set(), "the replica was not killed")
        for index in lost:  # resent to the surviving replica: processed once, or the earlier Bv03 again
            accepted(a, rest[index][0])
            stored.update({s.vorderingnummer: s for s in rest[index][1]})
        proxy_answers = [post(proxy, g.vrdLv01(n)).outcome for n in list(stored)[:10]]
        expect(proxy_answers == ["La01"] * 10, f"vrdLv01 through the proxy after the kill: {proxy_answers}")
        count = int(sql("SELECT count(*) FROM vordering"))
        regels = int(sql("SELECT count(*) FROM vorderingsregel"))
        expected_regels = sum(len(s.regels) for s in stored.values())
        expect(count == len(stored), f"{count} vorderingen stored, {len(stored)} accepted")
        expect(regels == expected_regels, f"{regels} vorderingsregels stored, {expected_regels} sent")
        duplicates = sql("SELECT count(*) FROM (SELECT 1 FROM vordering GROUP BY organisatie_nnp_id, tsa, "
                         "vorderingnummer HAVING count(*) > 1) d")
        expect(duplicates == "0", f"{duplicates} vorderingen stored twice")
        sample = random.Random(1).sample(sorted(stored), 10)
        for nummer in sample:
            answer = found(a, nummer)
            total = answer.element.findtext(f"{F}antwoord/{F}object/{F}totaalbedragInclBTW")
            expect(total is not None and int(total) == stored[nummer].totaalbedrag_incl_btw,
                   f"{nummer}: totaalbedragInclBTW {total}, sent {stored[nummer].totaalbedrag_incl_btw}")
        note(f"{sent + len(rest)} messages sent in all; replica b killed after {len(rest) // 3} answers, then all to "
             f"a; {len(lost)} in flight to b unanswered, resent to a; {count} vorderingen, {regels} regels, each once")

    with step("3d the worker delivered the outbox"):
        expected = int(sql("SELECT count(*) FROM outbox"))
        expect(expected > 0, "nothing queued in the outbox (route inningssysteem)")
        wait_until(lambda: sql("SELECT count(*) FROM outbox WHERE state = 'delivered'") == str(expected),
                   f"all {expected} outbox messages delivered (now: "
                   f"{sql('SELECT state, count(*) FROM outbox GROUP BY state')})", timeout=120, interval=1)
        workers = set(sql("SELECT DISTINCT split_part(worker, ':', 1) FROM outbox_attempt").split())
        worker_ids = {inspect(i, "{{.Config.Hostname}}") for i in compose("ps", "-q", "worker").stdout.split()}
        expect(workers and workers <= worker_ids, f"delivered by {workers}, not only the worker {worker_ids}")
        metrics = httpx.get(service_urls("worker", 9100)[0] + "/metrics", timeout=10).text
        expect(re.search(r'^stuf_fin_outbox_deliveries_total\{outcome="delivered"\} [1-9]', metrics, re.M),
               "the worker's /metrics shows no deliveries")
        inning = service_urls("inning")[0]
        found(inning, sample[0])
        note(f"{expected} messages delivered by the worker container only; the inningssysteem has {sample[0]}")

    compose("down", "-v", "--remove-orphans", log=LOGS / "compose-down.log")


# -- step 4: upgrade --------------------------------------------------------------------------------------------

def previous_revision() -> str:
    if PREVIOUS_REV:
        return PREVIOUS_REV
    tag = run("git", "-C", str(REPO), "describe", "--tags", "--abbrev=0", "HEAD^", check=False)
    return tag.stdout.strip() if tag.returncode == 0 else "HEAD^"


def revision(volume: str) -> str:
    script = ("import sqlite3; print(sqlite3.connect('/var/lib/stuf-fin/stuf-fin.db')"
              ".execute('select version_num from alembic_version').fetchone()[0])")
    return docker("run", "--rm", "--network", "none", "-v", f"{volume}:/var/lib/stuf-fin", "--entrypoint",
                  "/app/.venv/bin/python", IMAGE, "-c", script)


def previous_image() -> str:
    """The previous release's image, built unless it is there for that commit already."""
    rev = previous_revision()
    commit = run("git", "-C", str(REPO), "rev-parse", "--short", f"{rev}^{{commit}}").stdout.strip()
    label = "{{index .Config.Labels \"org.opencontainers.image.revision\"}}"
    if image_exists(PREVIOUS) and docker("image", "inspect", "--format", label, PREVIOUS) == commit:
        return f"{PREVIOUS} from {rev} ({commit}): cached"
    build_previous(commit, pip_for_build)
    return f"{PREVIOUS} from {rev} ({commit})"


def step_upgrade(previous: Background) -> None:
    with step("4a the previous release's image"):
        note(previous.result())
    step_upgrade_run()


def build_previous(commit: str, pip_args_for_previous: Callable[[], contextlib.AbstractContextManager[list[str]]]
                   ) -> None:
    """The image of ``commit``, built with its own Dockerfile (without a ``# syntax=`` line)."""
    source = Path(tempfile.mkdtemp(prefix="stuf-fin-check-previous-"))
    try:
        archive = subprocess.Popen(["git", "-C", str(REPO), "archive", commit], stdout=subprocess.PIPE)
        subprocess.run(["tar", "-x", "-C", str(source)], stdin=archive.stdout, check=True)
        expect(archive.wait() == 0, f"git archive {commit} failed")
        dockerfile = source / "docker" / "Dockerfile"
        text = dockerfile.read_text()
        dockerfile.write_text(re.sub(r"^# syntax=.*\n", "", text, flags=re.M))  # the engine's built-in frontend
        with pip_args_for_previous() as pip_args:
            python_image = PYTHON
            if "id=pip.conf" not in text:  # older Dockerfiles take no pip secrets: bake them into a base
                python_image = f"{NAME}/python-pip:3.11"
                build_pip_base(python_image, pip_args)
            build_project(source, PREVIOUS, pip_args, python_image, label=commit)
    finally:
        shutil.rmtree(source, ignore_errors=True)


def step_upgrade_run() -> None:
    name, volume = f"{NAME}-upgrade", f"{NAME}-upgrade"
    messages = Messages("UPG")
    with step("4b upgrade on a volume: migrations, data intact"):
        base = start_container(name, PREVIOUS, volume)
        sent = [messages.next(1 + i % 3) for i in range(20)]
        answers = [accepted(base, body) for body, _ in sent]
        before = revision(volume)
        count_before = _gauge(base, "stuf_fin_vorderingen")
        docker("stop", name)
        docker("rm", name)
        base = start_container(name, IMAGE, volume)
        log = container_log(name)
        expect("is at the current version" in log, f"the new image did not migrate at start:\n{log[-1500:]}")
        after = revision(volume)
        checked = run(DOCKER, "run", "--rm", "--network", "none", "-v", f"{volume}:/var/lib/stuf-fin",
                      "-e", "STUF_FIN_ALLOW_ANONYMOUS=true", IMAGE, "config", "check", "--connect", check=False)
        expect(checked.returncode == 0 and "migrations current" in checked.stdout,
               f"config check --connect after the upgrade:\n{checked.stdout[-1500:]}{checked.stderr}")
        for (body, specs), answer in zip(sent, answers, strict=True):
            for spec in specs:
                found(base, spec.vorderingnummer)
            again = post(base, body)
            expect(again.outcome == "Bv03" and again.message == answer.message,
                   "an identical resend after the upgrade did not get the same Bv03 (StUF016 memory lost)")
        count_after = _gauge(base, "stuf_fin_vorderingen")
        expected = sum(len(specs) for _, specs in sent)
        expect(count_before == count_after == expected,
               f"vorderingen before {count_before}, after {count_after}, sent {expected}")
        accepted(base, messages.next(1)[0])
        docker("rm", "-f", name)
        docker("volume", "rm", volume)
        note(f"migrations {before} → {after}; {expected} vorderingen before and after, all found; "
             f"identical resends answered with the same Bv03")


def build_pip_base(tag: str, pip_args: list[str]) -> None:
    """The Python base with pip's settings in it, for a Dockerfile that takes no build secrets (step 4 only)."""
    files = dict(re.findall(r"id=([\w.-]+),src=(\S+)", " ".join(pip_args)))
    context = Path(tempfile.mkdtemp(prefix="stuf-fin-check-pipbase-"))
    try:
        lines = [f"FROM {PYTHON}"]
        for name, src in files.items():
            shutil.copyfile(src, context / name)
        if "pip-ca.crt" in files:
            lines.append("COPY pip-ca.crt /run/secrets/pip-ca.crt")
        lines.append("COPY pip.conf /etc/pip.conf")
        (context / "Dockerfile").write_text("\n".join(lines) + "\n")
        run(DOCKER, "build", "--network=host", "-t", tag, str(context), log=LOGS / "build-python-pip.log")
    finally:
        shutil.rmtree(context, ignore_errors=True)


def _gauge(base: str, name: str) -> float:
    text = httpx.get(base + "/metrics", timeout=10).text
    match = re.search(rf"^{name} (\S+)$", text, re.M)
    expect(match, f"/metrics has no {name}")
    return float(match.group(1))


# -- around the steps -------------------------------------------------------------------------------------------

def clean(volumes: bool = True) -> None:
    """Remove what a check leaves in its own engine (containers, networks, volumes); images stay as cache."""
    with contextlib.suppress(CheckFailed, subprocess.TimeoutExpired):
        compose("down", "-v", "--remove-orphans", check=False, timeout=120)
    ids = docker("ps", "-aq").split()
    if ids:
        run(DOCKER, "rm", "-f", *ids, check=False)
    if volumes:
        for volume in docker("volume", "ls", "-q").split():
            run(DOCKER, "volume", "rm", volume, check=False)
    run(DOCKER, "image", "rm", f"{NAME}/python-pip:3.11", check=False)
    run(DOCKER, "image", "prune", "-f", check=False)


def save_logs() -> None:
    for name in docker("ps", "-a", "--format", "{{.Names}}").split():
        (LOGS / f"container-{name}.log").write_text(container_log(name))
        (LOGS / f"container-{name}.state.json").write_text(inspect(name, "{{json .State}}"))
    print(f"   container logs: {LOGS}/container-*.log", flush=True)


def summary(size_mb: float) -> None:
    setup = float(os.environ.get("STUF_FIN_CHECK_SETUP_SECONDS", "0"))
    rows = [("0  set-up: Debian packages, Compose, engine started", setup), *TIMES]
    width = max(len(n) for n, _ in rows)
    print("\n== docker/check: figures")
    for name, seconds in rows:
        print(f"   {name:<{width}}  {seconds:6.1f} s")
    print(f"   {'total':<{width}}  {sum(t for _, t in rows):6.1f} s")
    print(f"   image {IMAGE}: {size_mb:.0f} MB (limit {MAX_IMAGE_MB} MB)")


def main() -> int:
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    LOGS.mkdir(parents=True, exist_ok=True)
    for old in LOGS.glob("container-*"):
        old.unlink()
    failed = False
    try:
        clean()
        if run(DOCKER, "network", "inspect", NETWORK, check=False).returncode:
            docker("network", "create", NETWORK)
        with step("1a Debian base (debootstrap, once per machine)"):
            build_debian_base()
        with step("1b local Python base"):
            note(build_local("python"))
        stand_ins = Background("the PostgreSQL and nginx stand-ins", lambda: build_local("postgres", "nginx"))
        previous = Background("the previous release's image", previous_image)
        with step("1c the project image (+ in the background: stand-ins, previous image)"):
            with pip_for_build() as pip_args:
                build_project(REPO, IMAGE, pip_args)
            size_mb = int(docker("image", "inspect", "--format", "{{.Size}}", IMAGE)) / 1e6
            expect(size_mb < MAX_IMAGE_MB, f"image {IMAGE} is {size_mb:.0f} MB (limit {MAX_IMAGE_MB} MB)")
            note(f"{IMAGE}: {size_mb:.0f} MB")
        step_one_container()
        step_compose(stand_ins)
        step_upgrade(previous)
        summary(size_mb)
        print("== docker/check: all steps passed")
        return 0
    except StepFailed as failure:
        failed = True
        print(f"\n== docker/check: FAILED in step {failure.name}\n   {failure.cause}", file=sys.stderr, flush=True)
        save_logs()
        return 1
    except BaseException:
        failed = True
        save_logs()
        raise
    finally:
        if not (failed and KEEP):
            clean()


if __name__ == "__main__":
    sys.exit(main())
