"""Issue 14: production serves itself. gunicorn with config/gunicorn.conf.py and production's
settings, after `migrate` and `collectstatic`, serves a page and its CSS (hashed name, text/css,
compressed), htmx, the admin's styles, Swagger UI and its scripts, under HSTS, the HTTPS redirect
and the Content-Security-Policy; the load balancers' probes answer over plain HTTP with a node's
address as Host. (Before, every static file was a 404 under gunicorn.)

On PostgreSQL when the suite runs there (DATABASE_URL), in a database of this run's own; on an
SQLite file otherwise.
"""

from __future__ import annotations

import gzip
import http.client
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from .bench_support import bench_database

ROOT = Path(__file__).resolve().parent.parent
HOST = "kinerja.example.go.id"
HTTPS = {"Host": HOST, "X-Forwarded-Proto": "https"}  # what the TLS-terminating proxy sends


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def production_environment(database_url: str, static_root: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_URL", "KINERJA_", "CELERY_", "GUNICORN_"))}
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings.production",  # as the README says to set it
        DJANGO_SECRET_KEY="gunicorn-test-secret-key-0123456789abcdefghijklmnop",
        DJANGO_ALLOWED_HOSTS=HOST,
        KINERJA_AUDIT_KEY="gunicorn-test-audit-key-0123456789abcdefghijklmnop",
        DATABASE_URL=database_url,
        DJANGO_STATIC_ROOT=str(static_root),
        WEB_CONCURRENCY="1",
        GUNICORN_THREADS="2",
    )
    if os.environ.get("REDIS_URL"):
        env["REDIS_URL"] = os.environ["REDIS_URL"]
    return env


def manage(env: dict, *args: str) -> None:
    result = subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]


class Server:
    def __init__(self, port: int):
        self.port = port

    def get(self, path: str, headers: dict | None = None) -> tuple[int, dict, bytes]:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            connection.request("GET", path, headers=headers if headers is not None else HTTPS)
            response = connection.getresponse()
            return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
        finally:
            connection.close()


@pytest.fixture(scope="module")
def gunicorn(tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("gunicorn")
    with bench_database(tmp_path, "kinerja_h5_gunicorn") as (database_url, _postgres):
        env = production_environment(database_url, tmp_path / "static")
        manage(env, "migrate", "--noinput", "-v", "0")
        manage(env, "collectstatic", "--noinput", "-v", "0")
        port = free_port()
        env["GUNICORN_BIND"] = f"127.0.0.1:{port}"
        log = tmp_path / "gunicorn.log"
        process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "config.wsgi", "-c", "config/gunicorn.conf.py", "--no-control-socket",
             "--error-logfile", str(log)],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
        )
        try:
            server = Server(port)
            deadline = time.monotonic() + 60
            while True:
                assert process.poll() is None, f"gunicorn stopped:\n{log.read_text()[-3000:]}"
                try:
                    if server.get("/health/live/", {})[0] == 200:
                        break
                except OSError:
                    pass
                assert time.monotonic() < deadline, f"gunicorn did not answer:\n{log.read_text()[-3000:]}"
                time.sleep(0.2)
            yield server
        finally:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
                try:
                    process.wait(30)
                except subprocess.TimeoutExpired:
                    os.killpg(process.pid, signal.SIGKILL)
                    process.wait(10)


def asset(html: str, pattern: str) -> str:
    found = re.search(pattern, html)
    assert found, pattern
    return found.group(1)


def test_a_page_is_served_with_its_css_under_a_hashed_name(gunicorn):
    status, headers, body = gunicorn.get("/login/")
    assert status == 200
    css = asset(body.decode(), r'href="(/static/css/app\.[0-9a-f]{12}\.css)"')
    status, headers, body = gunicorn.get(css)
    assert status == 200
    assert headers["content-type"].startswith("text/css")
    assert "immutable" in headers["cache-control"] and "max-age=315360000" in headers["cache-control"]
    assert b"body" in body


def test_the_css_is_sent_compressed_to_a_browser_that_accepts_it(gunicorn):
    css = asset(gunicorn.get("/login/")[2].decode(), r'href="(/static/css/app\.[0-9a-f]{12}\.css)"')
    status, headers, body = gunicorn.get(css, {**HTTPS, "Accept-Encoding": "gzip"})
    assert status == 200 and headers["content-encoding"] == "gzip"
    assert b"body" in gzip.decompress(body)


def test_htmx_and_the_pages_scripts_are_served(gunicorn):
    html = gunicorn.get("/login/")[2].decode()
    for pattern in (r'src="(/static/vendor/htmx-2\.0\.8\.min\.[0-9a-f]{12}\.js)"', r'src="(/static/js/app\.[0-9a-f]{12}\.js)"'):
        status, headers, _body = gunicorn.get(asset(html, pattern))
        assert status == 200 and "javascript" in headers["content-type"]


def test_the_admin_is_styled(gunicorn):
    status, _headers, body = gunicorn.get("/admin/login/")
    assert status == 200
    css = asset(body.decode(), r'href="(/static/admin/css/base\.[0-9a-f]{12}\.css)"')
    status, headers, _body = gunicorn.get(css)
    assert status == 200 and headers["content-type"].startswith("text/css")


def test_swagger_ui_and_its_scripts_are_served(gunicorn):
    status, headers, body = gunicorn.get("/api/v1/docs/")
    assert status == 200
    html = body.decode()
    bundle = asset(html, r'src="(/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle\.[0-9a-f]{12}\.js)"')
    status, bundle_headers, bundle_body = gunicorn.get(bundle)
    assert status == 200 and "javascript" in bundle_headers["content-type"] and len(bundle_body) > 100_000
    css = asset(html, r'href="(/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui\.[0-9a-f]{12}\.css)"')
    assert gunicorn.get(css)[0] == 200
    set_up = asset(html, r'<script src="(/api/v1/docs/\?[^"]*script=[^"]*)"').replace("&amp;", "&")
    status, set_up_headers, set_up_body = gunicorn.get(set_up)
    assert status == 200 and set_up_headers["content-type"].startswith("application/javascript")
    assert b"/api/v1/schema/" in set_up_body
    status, _headers, schema = gunicorn.get("/api/v1/schema/")
    assert status == 200 and b"openapi" in schema


def test_pages_carry_hsts_and_the_content_security_policy(gunicorn):
    _status, headers, _body = gunicorn.get("/login/")
    assert headers["strict-transport-security"] == "max-age=31536000; includeSubDomains"
    assert "script-src 'self'" in headers["content-security-policy"]
    assert headers["x-content-type-options"] == "nosniff"


def test_plain_http_is_redirected_to_https(gunicorn):
    status, headers, _body = gunicorn.get("/login/", {"Host": HOST})
    assert status == 301 and headers["location"] == f"https://{HOST}/login/"


def test_the_load_balancers_probes_answer_over_plain_http_with_a_nodes_address(gunicorn):
    node = {"Host": f"127.0.0.1:{gunicorn.port}"}
    status, _headers, body = gunicorn.get("/health/live/", node)
    assert (status, body) == (200, b'{"status": "ok"}')
    status, _headers, body = gunicorn.get("/health/ready/", node)
    assert status == 200 and b'"database": {"ok": true}' in body


def test_an_unknown_static_file_is_a_404_not_a_500(gunicorn):
    assert gunicorn.get("/static/css/nothing-here.css")[0] == 404
