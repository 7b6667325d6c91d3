"""The demo page is served locally, branded from clinic.yml, with the emergency line."""

import re

import requests


def test_the_page_shows_the_clinic_and_the_emergency_line(assistant):
    page = requests.get(f"http://localhost:{assistant.web_port}/", timeout=10)
    assert page.status_code == 200
    assert "Riverbend TMS Center" in page.text
    assert "Not for emergencies" in page.text and "988" in page.text and "911" in page.text


def test_the_widget_is_served_from_the_project_not_a_cdn(assistant):
    page = requests.get(f"http://localhost:{assistant.web_port}/", timeout=10).text
    sources = re.findall(r'<(?:script|link)[^>]+(?:src|href)="([^"]+)"', page)
    assert sources and all(source.startswith("/") for source in sources), sources
    bundle = requests.get(f"http://localhost:{assistant.web_port}/vendor/webchat.js", timeout=10)
    assert bundle.status_code == 200 and "WebChat" in bundle.text[:2000]


def test_unknown_paths_are_not_found(assistant):
    for path in ("/nope", "/static/../clinic.yml", "/static/%2e%2e/clinic.yml"):
        assert requests.get(f"http://localhost:{assistant.web_port}{path}", timeout=10).status_code == 404
