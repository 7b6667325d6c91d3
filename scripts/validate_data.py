"""`make validate`: rasa data validate, failing on every warning that matters.

Rasa warns that a response "is not used in any story or rule" when only a form
(utter_ask_<slot>), a custom action (the checklist's outcomes, reasons and hints) or
a channel (the SMS HELP reply) or a policy (the crisis and failure replies) sends it. Those are expected and are checked here
instead: each such response must really be asked for by a form slot or named in
actions/, channels/ or components/. Any other warning fails.
"""

import re
import subprocess
import sys
from pathlib import Path

import yaml

UNUSED = re.compile(r"The utterance '(utter_\w+)' is not used in any story or rule")
WARNING = re.compile(r"UserWarning: (.*)")


def responses_sent_from_code() -> tuple:
    """Exact names and f-string prefixes of responses the project's Python sends."""
    folders = ("actions", "channels", "components")
    files = [path for folder in folders for path in Path(folder).glob("*.py")]
    source = "\n".join(p.read_text() for p in files)
    exact = set(re.findall(r"[\"'](utter_\w+)[\"']", source))
    prefixes = set(re.findall(r"f[\"'](utter_\w+?)\{", source))
    return exact, prefixes


def form_questions() -> set:
    """utter_ask_<slot> for every slot a form asks for."""
    names = set()
    for path in Path("domain").glob("*.yml"):
        for form in (yaml.safe_load(path.read_text()) or {}).get("forms", {}).values():
            names.update(f"utter_ask_{slot}" for slot in form.get("required_slots", []))
    return names


def main() -> int:
    result = subprocess.run(
        [sys.executable, "-m", "rasa", "data", "validate",
         "--domain", "domain", "--data", "data", "--config", "config.yml"],
        capture_output=True, text=True,
    )
    output = result.stdout + result.stderr
    exact, prefixes = responses_sent_from_code()
    expected = form_questions() | exact
    problems = []
    for line in output.splitlines():
        warning = WARNING.search(line)
        if not warning:
            continue
        unused = UNUSED.search(line)
        if unused and (
            unused.group(1) in expected
            or any(unused.group(1).startswith(prefix) for prefix in prefixes)
        ):
            continue
        problems.append(warning.group(1))
    if result.returncode != 0:
        print(output)
        print("rasa data validate failed")
        return 1
    for problem in problems:
        print(f"WARNING: {problem}")
    if problems:
        print(f"{len(problems)} warning(s) that matter: fix them")
        return 1
    print("Training data and domain are valid (no warnings that matter).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
