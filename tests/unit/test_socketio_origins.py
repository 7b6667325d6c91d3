"""Which browser origins may open a chat socket (channels/socketio.py).

The e2e tests cover the running server (tests/e2e/test_origins.py); these cover the
cases it does not start: the server's own origin directly and behind a proxy, a
wildcard --cors, and no --cors at all.
"""

from types import SimpleNamespace

from sanic_cors.core import get_cors_options, parse_resources

from channels.socketio import origin_allowed


def cors_context(origins):
    """What sanic-cors keeps on the app for `rasa run --cors <origins>`."""
    options = get_cors_options(None, {"origins": origins or ""})
    return SimpleNamespace(resources=[(pattern, get_cors_options(None, options, opts))
                                      for pattern, opts in parse_resources({r"/*": {}})])


def environ(origin, cors_origins, scheme="ws", **headers):
    app = SimpleNamespace(ctx=SimpleNamespace(sanic_cors=cors_context(cors_origins)))
    request = SimpleNamespace(app=app, scheme=scheme,
                              headers={"host": "localhost:5005", **headers})
    return {"HTTP_ORIGIN": origin, "sanic.request": request}


def test_listed_origins_only():
    listed = ["https://clinic.example", "http://localhost:8080"]
    assert origin_allowed(environ("https://clinic.example", listed))
    assert origin_allowed(environ("http://localhost:8080", listed))
    assert not origin_allowed(environ("https://evil.example", listed))
    assert not origin_allowed(environ("http://localhost:8081", listed))


def test_no_cors_allows_no_other_origin_but_the_servers_own():
    assert not origin_allowed(environ("http://localhost:8080", None))
    assert origin_allowed(environ("http://localhost:5005", None))


def test_the_servers_own_origin_behind_a_tls_proxy():
    behind_proxy = environ("https://chat.clinic.example", None, scheme="ws",
                           **{"x-forwarded-proto": "https", "x-forwarded-host": "chat.clinic.example"})
    assert origin_allowed(behind_proxy)


def test_a_wildcard_allows_any_origin_and_no_origin_is_not_a_browser():
    assert origin_allowed(environ("https://anywhere.example", "*"))
    assert origin_allowed({"sanic.request": None})
