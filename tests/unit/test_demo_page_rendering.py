"""The demo page and its icon show the clinic of clinic.yml, whichever clinic that is.

Renders web/index.html and web/favicon.svg with another clinic's file (found through
CLINIC_SETTINGS, as every component finds it) and checks that its facts appear and
none of the demo clinic's do.
"""

import re

import pytest
import yaml

from channels.long_messages import MAX_MESSAGE_CHARS
from components.clinic_settings import load_clinic_settings
from scripts.run_assistant import ROOT
from scripts.serve_web import rendered_files

RASA_URL = "https://chat.lakeside.example:8443"

OTHER_CLINIC = {
    "name": "Lakeside Brain Health",
    "phone": "(555) 777-0199",
    "hours": "Tuesday to Saturday, 9 am to 5 pm",
    "booking_url": "https://lakeside.example/appointments",
    "email": "hello@lakeside.example",
    "branding": {"primary_color": "#5B2A86", "accent_color": "#E4572E",
                 "text_color": "#222222", "background_color": "#FFFFFF"},
    "privacy": {"retention_days": 30},
}


@pytest.fixture
def rendered(tmp_path, monkeypatch):
    """The rendered files, with the demo clinic read before CLINIC_SETTINGS is changed."""
    demo = load_clinic_settings(ROOT / "clinic.yml")
    path = tmp_path / "clinic.yml"
    path.write_text(yaml.safe_dump(OTHER_CLINIC), encoding="utf-8")
    monkeypatch.setenv("CLINIC_SETTINGS", str(path))
    files = rendered_files(RASA_URL)
    return demo, files["/"][0].decode(), files["/favicon.svg"][0].decode()


def test_the_page_shows_the_clinic_of_the_settings_file(rendered):
    _demo, page, _icon = rendered
    assert "<title>Lakeside Brain Health:" in page
    assert "--primary: #5B2A86;" in page and "--accent: #E4572E;" in page
    assert 'href="tel:5557770199"' in page and "(555) 777-0199" in page
    assert 'href="https://lakeside.example/appointments"' in page
    assert "hello@lakeside.example" in page and "Tuesday to Saturday, 9 am to 5 pm" in page
    assert re.search(r'class="retention">30 days<', page)


def test_none_of_the_demo_clinic_is_left(rendered):
    demo, page, icon = rendered
    for fact in (demo.name, demo.phone, demo.email, demo.booking_url, demo.hours,
                 *demo.branding.values()):
        assert fact not in page and fact not in icon, fact
    assert f"{demo.privacy['retention_days']} days" not in page


def test_the_icon_takes_the_clinic_colours(rendered):
    _demo, _page, icon = rendered
    assert 'stop-color="#E4572E"' in icon and 'stop-color="#5B2A86"' in icon
    assert "$" not in icon


def test_the_chat_may_connect_to_the_rasa_server_only(rendered):
    _demo, page, _icon = rendered
    policy = re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', page).group(1)
    connect = next(part.split()[1:] for part in policy.split(";")
                   if part.strip().startswith("connect-src"))
    assert connect == ["https://chat.lakeside.example:8443", "wss://chat.lakeside.example:8443"]
    assert f'data-socket-url="{RASA_URL}"' in page


def test_the_page_warns_at_the_channels_length_limit(rendered):
    _demo, page, _icon = rendered
    assert f'data-max-message-chars="{MAX_MESSAGE_CHARS}"' in page
