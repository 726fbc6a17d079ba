"""The interface's translations: collect, compile, check.

    python build_scripts/translations.py update  # strings -> resources/translations/*.ts
    python build_scripts/translations.py build   # .ts -> .qm (pyside6-lrelease)
    python build_scripts/translations.py check   # exit 1: a string without translation,
                                                 # or a .qm that is not its .ts compiled

The window's strings are the literal arguments of tr() and N_() in restorer/gui (context
"Restorer"); the tasks' words come from the task registry (context "tasks"). update keeps
every translation already made, adds new strings as unfinished (Qt Linguist opens the .ts),
and drops strings no longer used. The .qm files are committed beside the .ts so that an
installation from source needs no Qt tools; build runs in every installer build, and the
tests check that the committed .qm is what build makes.
"""

from __future__ import annotations

import ast
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

GUI = ROOT / "restorer" / "gui"
FOLDER = ROOT / "resources" / "translations"
LANGUAGES = ("zh_CN",)
MARKERS = ("tr", "N_")


def window_strings() -> list[str]:
    found: list[str] = []
    for path in sorted(GUI.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id in MARKERS
                and node.args
                and isinstance(node.args[0], ast.Constant)
                and isinstance(node.args[0].value, str)
            ):
                found.append(node.args[0].value)
    return list(dict.fromkeys(found))


def task_strings() -> list[str]:
    from restorer.tasks.base import param_specs
    from restorer.tasks.registry import COMMANDS, WITH_USER_MODELS
    from restorer.tasks.user_model import KIND_TITLES

    found: list[str] = []
    for task in (*COMMANDS, *WITH_USER_MODELS.values()):
        found += [task.title, task.description]
        for spec in param_specs(task.params_type):
            found += [spec.label, spec.help, *spec.choice_labels]
            found += [c for c in spec.choices if isinstance(c, str) and not spec.choice_labels]
    found += list(KIND_TITLES.values())
    found += notes()
    return [s for s in dict.fromkeys(found) if s]


def notes() -> list[str]:
    """What tasks and the engine tell the user while running: Note("...") templates, and
    the JPEG task's messages kept as constants."""
    from restorer.tasks import jpeg

    found: list[str] = []
    for folder in ("tasks", "engine"):
        for path in sorted((ROOT / "restorer" / folder).glob("*.py")):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if (
                    isinstance(node, ast.Call)
                    and isinstance(node.func, ast.Name)
                    and node.func.id == "Note"
                    and node.args
                    and isinstance(node.args[0], ast.Constant)
                    and isinstance(node.args[0].value, str)
                ):
                    found.append(node.args[0].value)
    return [*found, jpeg.QUALITY_SET, jpeg.QUALITY_READ, jpeg.QUALITY_ASSUMED]


def read_ts(path: Path) -> dict[tuple[str, str], str]:
    if not path.is_file():
        return {}
    done: dict[tuple[str, str], str] = {}
    for context in ET.parse(path).getroot().iter("context"):
        name = context.findtext("name", "")
        for message in context.iter("message"):
            translation = message.find("translation")
            text = translation.text if translation is not None and translation.text else ""
            if translation is not None and translation.get("type") == "unfinished":
                text = ""
            done[(name, message.findtext("source", ""))] = text
    return done


def write_ts(path: Path, language: str, contexts: dict[str, list[str]], known: dict) -> int:
    """The .ts of these strings with the translations known; the number still missing."""
    root = ET.Element("TS", version="2.1", language=language, sourcelanguage="en")
    missing = 0
    for name, sources in contexts.items():
        context = ET.SubElement(root, "context")
        ET.SubElement(context, "name").text = name
        for source in sources:
            message = ET.SubElement(context, "message")
            ET.SubElement(message, "source").text = source
            translation = ET.SubElement(message, "translation")
            text = known.get((name, source), "")
            if text:
                translation.text = text
            else:
                translation.set("type", "unfinished")
                missing += 1
    ET.indent(root)
    body = ET.tostring(root, encoding="unicode")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        '<?xml version="1.0" encoding="utf-8"?>\n<!DOCTYPE TS>\n' + body + "\n", encoding="utf-8"
    )
    return missing


def contexts() -> dict[str, list[str]]:
    return {"Restorer": window_strings(), "tasks": task_strings()}


def ts_path(language: str) -> Path:
    return FOLDER / f"restorer_{language}.ts"


def lrelease(ts: Path, qm: Path) -> None:
    tool = Path(sys.executable).with_name("pyside6-lrelease")
    command = [
        str(tool) if tool.exists() else "pyside6-lrelease",
        "-silent",
        str(ts),
        "-qm",
        str(qm),
    ]
    subprocess.run(command, check=True)


def main(argv: list[str]) -> int:
    action = argv[0] if argv else "check"
    status = 0
    for language in LANGUAGES:
        ts = ts_path(language)
        qm = ts.with_suffix(".qm")
        if action == "update":
            missing = write_ts(ts, language, contexts(), read_ts(ts))
            print(f"{ts.name}: {missing} string(s) to translate")
        elif action == "build":
            lrelease(ts, qm)
            print(f"{qm.name} written")
        else:
            known = read_ts(ts)
            wanted = [(c, s) for c, sources in contexts().items() for s in sources]
            missing = [s for c, s in wanted if not known.get((c, s))]
            if missing:
                print(f"{ts.name}: {len(missing)} untranslated, e.g. {missing[:3]}")
                status = 1
            with tempfile.TemporaryDirectory() as tmp:
                fresh = Path(tmp) / qm.name
                lrelease(ts, fresh)
                if not qm.is_file() or fresh.read_bytes() != qm.read_bytes():
                    print(f"{qm.name} is not what {ts.name} compiles to: run build")
                    status = 1
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
