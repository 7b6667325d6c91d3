"""Serves the demo page (web/index.html) with the clinic's branding, and the widget.

Everything the page loads comes from here: the page, its stylesheet and the
rasa-webchat bundle installed from the npm registry into web/node_modules. Nothing
is fetched from a CDN. The page template uses $placeholders filled from clinic.yml.
"""

import html
import mimetypes
import threading
from functools import partial
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from string import Template
from typing import Dict

from components.clinic_settings import load_clinic_settings

WEB_DIR = Path(__file__).resolve().parent.parent / "web"
WIDGET_BUNDLE = WEB_DIR / "node_modules" / "rasa-webchat" / "lib" / "index.js"
STATIC_FILES = {"/vendor/webchat.js": WIDGET_BUNDLE}
STATIC_DIR = WEB_DIR / "static"


def page_values(rasa_url: str) -> Dict[str, str]:
    """The values the page template needs, HTML-escaped."""
    clinic = load_clinic_settings()
    branding = {
        "primary_color": "#2E6B70",
        "accent_color": "#F2A65A",
        "text_color": "#1F2A30",
        "background_color": "#F6F8F7",
        **clinic.branding,
    }
    values = {
        **clinic.placeholders(),
        **branding,
        "retention_days": str(clinic.privacy.get("retention_days", 90)),
        "rasa_url": rasa_url,
        "phone_link": "".join(ch for ch in clinic.phone if ch.isdigit() or ch == "+"),
    }
    return {key: html.escape(str(value), quote=True) for key, value in values.items()}


class DemoPageHandler(BaseHTTPRequestHandler):
    """GET only: the rendered page, the widget bundle and web/static files."""

    server_version = "TMSDemoPage"

    def __init__(self, *args, page: bytes, **kwargs) -> None:
        self.page = page
        super().__init__(*args, **kwargs)

    def do_GET(self) -> None:  # noqa: N802 (http.server naming)
        path = self.path.split("?", 1)[0]
        if path in ("/", "/index.html"):
            return self._send(self.page, "text/html; charset=utf-8")
        file = STATIC_FILES.get(path)
        if file is None and path.startswith("/static/"):
            candidate = (STATIC_DIR / path[len("/static/"):]).resolve()
            if STATIC_DIR.resolve() in candidate.parents and candidate.is_file():
                file = candidate
        if file is None or not file.is_file():
            return self._send(b"Not found", "text/plain; charset=utf-8", HTTPStatus.NOT_FOUND)
        content_type = mimetypes.guess_type(str(file))[0] or "application/octet-stream"
        self._send(file.read_bytes(), content_type)

    def _send(self, body: bytes, content_type: str, status: int = HTTPStatus.OK) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Cache-Control", "no-cache")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args) -> None:
        """Keeps request lines (paths only, no personal data) off the console."""


def render_page(rasa_url: str) -> bytes:
    """web/index.html with the clinic's facts and the Rasa server's URL filled in."""
    template = Template((WEB_DIR / "index.html").read_text(encoding="utf-8"))
    return template.substitute(page_values(rasa_url)).encode("utf-8")


def start_web_server(port: int, rasa_url: str) -> ThreadingHTTPServer:
    """Serves the demo page on localhost:port in a background thread."""
    handler = partial(DemoPageHandler, page=render_page(rasa_url))
    server = ThreadingHTTPServer(("0.0.0.0", port), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server
