"""Serves the demo page (web/index.html) with the clinic's branding, and the widget.

Everything the page loads comes from here: the page, its stylesheet and the
rasa-webchat bundle installed from the npm registry into web/node_modules. Nothing
is fetched from a CDN. The page (web/index.html) and its icon (web/favicon.svg) are
templates whose $placeholders are filled from clinic.yml (CLINIC_SETTINGS names
another file) when the server starts.
"""

import html
import mimetypes
import threading
from functools import partial
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from string import Template
from typing import Dict, Tuple
from urllib.parse import urlsplit

from components.clinic_settings import load_clinic_settings

WEB_DIR = Path(__file__).resolve().parent.parent / "web"
WIDGET_BUNDLE = WEB_DIR / "node_modules" / "rasa-webchat" / "lib" / "index.js"
STATIC_FILES = {"/vendor/webchat.js": WIDGET_BUNDLE}
STATIC_DIR = WEB_DIR / "static"
# Rendered from templates at start-up: path -> (template, content type).
TEMPLATES = {
    "/": ("index.html", "text/html; charset=utf-8"),
    "/index.html": ("index.html", "text/html; charset=utf-8"),
    "/favicon.svg": ("favicon.svg", "image/svg+xml"),
}


def socket_origins(rasa_url: str) -> Tuple[str, str]:
    """The Rasa server's origin over HTTP(S) and over WebSocket: what the chat connects to."""
    parts = urlsplit(rasa_url)
    secure = parts.scheme == "https"
    return (f"{parts.scheme}://{parts.netloc}", f"{'wss' if secure else 'ws'}://{parts.netloc}")


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
        "rasa_origin": socket_origins(rasa_url)[0],
        "rasa_socket_origin": socket_origins(rasa_url)[1],
        "phone_link": "".join(ch for ch in clinic.phone if ch.isdigit() or ch == "+"),
    }
    return {key: html.escape(str(value), quote=True) for key, value in values.items()}


class DemoPageHandler(BaseHTTPRequestHandler):
    """GET only: the rendered page and icon, the widget bundle and web/static files."""

    server_version = "TMSDemoPage"

    def __init__(self, *args, rendered: Dict[str, Tuple[bytes, str]], **kwargs) -> None:
        self.rendered = rendered
        super().__init__(*args, **kwargs)

    def do_GET(self) -> None:  # noqa: N802 (http.server naming)
        path = self.path.split("?", 1)[0]
        if path in self.rendered:
            return self._send(*self.rendered[path])
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


def render(name: str, rasa_url: str) -> bytes:
    """The template web/<name> with the clinic's facts and the Rasa server's URL filled in."""
    template = Template((WEB_DIR / name).read_text(encoding="utf-8"))
    return template.substitute(page_values(rasa_url)).encode("utf-8")


def render_page(rasa_url: str) -> bytes:
    """web/index.html, rendered."""
    return render("index.html", rasa_url)


def rendered_files(rasa_url: str) -> Dict[str, Tuple[bytes, str]]:
    """Every templated path with its rendered body and content type."""
    return {path: (render(name, rasa_url), content_type)
            for path, (name, content_type) in TEMPLATES.items()}


def start_web_server(port: int, rasa_url: str) -> ThreadingHTTPServer:
    """Serves the demo page on localhost:port in a background thread."""
    handler = partial(DemoPageHandler, rendered=rendered_files(rasa_url))
    server = ThreadingHTTPServer(("0.0.0.0", port), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server
