"""Interface languages: English (the source) and Simplified Chinese, through Qt's translation
system. The window's strings are marked with tr() (or N_() where a constant is defined before
a translator exists, and translated where it is shown); the tasks' own words (titles,
descriptions, parameters, which live below the window and know no Qt) are translated with
tr_task() in the "tasks" context. build_scripts/translations.py collects both into
resources/translations/restorer_zh_CN.ts and compiles the .qm the app loads."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QCoreApplication, QLibraryInfo, QLocale, QTranslator

from restorer.core.image import Image
from restorer.core.progress import Note
from restorer.resources import resources_dir
from restorer.tasks.base import TaskSpec

WINDOW_CONTEXT = "Restorer"
TASKS_CONTEXT = "tasks"
# Each language by its own name (what a reader of it looks for); "system" is translated.
LANGUAGES = {"system": "Follow the system", "en": "English", "zh_CN": "简体中文"}
TRANSLATED = ("zh_CN",)


def N_(text: str) -> str:  # the gettext name for "mark now, translate later"
    """Marks a constant for translation; tr() translates it where it is shown."""
    return text


def tr(text: str) -> str:
    return QCoreApplication.translate(WINDOW_CONTEXT, text)


def tr_task(text: str) -> str:
    """A task's title, description, parameter label, help or choice, in the interface's
    language."""
    return QCoreApplication.translate(TASKS_CONTEXT, text) if text else text


# The tasks' refusals (restorer.tasks.base), marked here for translation.
REFUSALS = (N_("{task} does not apply to CT images"), N_("{task} needs a CT image (DICOM)"))


def refusal_text(task: TaskSpec, image: Image) -> str | None:
    """Why task does not apply to image, in the interface's language, or None."""
    reason = task.refusal_reason(image)
    return None if reason is None else tr(reason).format(task=tr_task(task.title))


def step_title(title: str) -> str:
    """A history step's title (a task's, or a mask command's) in the interface's language."""
    translated = tr(title)
    return translated if translated != title else tr_task(title)


# The session's own step titles (restorer.session), marked here for translation.
STEP_TITLES = (N_("Clear mask"), N_("Invert mask"), N_("Load mask"))


def tr_note(text: str) -> str:
    """A message from a task or the engine (restorer.core.progress.Note) in the interface's
    language; any other text as it is. Safe on the worker thread."""
    if isinstance(text, Note):
        return tr_task(text.template).format(**text.values)
    return text


def lowered(title: str) -> str:
    """A title inside a sentence ("Run super-resolve"): its first letter in lower case."""
    return title[:1].lower() + title[1:]


def translations_dir() -> Path:
    return resources_dir() / "translations"


def language_for(preference: str, system: QLocale | None = None) -> str:
    """The interface language for a Preferences choice: "system" follows the system's
    locale (Simplified Chinese for Chinese in simplified script, else English)."""
    if preference in TRANSLATED or preference == "en":
        return preference
    locale = system or QLocale.system()
    if locale.language() == QLocale.Language.Chinese and (
        locale.script() == QLocale.Script.SimplifiedHanScript
        or locale.territory() in (QLocale.Country.China, QLocale.Country.Singapore)
    ):
        return "zh_CN"
    return "en"


def install_translators(app: QCoreApplication, preference: str) -> str:
    """Load the translations of the language chosen (ours, and Qt's own for its standard
    buttons and dialogs); the language used."""
    language = language_for(preference)
    for old in getattr(app, "_restorer_translators", []):
        app.removeTranslator(old)
    translators: list[QTranslator] = []
    if language != "en":
        ours = QTranslator(app)
        if ours.load(str(translations_dir() / f"restorer_{language}.qm")):
            translators.append(ours)
        qt = QTranslator(app)
        qt_folder = QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)
        if qt.load(f"qtbase_{language}", qt_folder):
            translators.append(qt)
    for translator in translators:
        app.installTranslator(translator)
    app._restorer_translators = translators  # type: ignore[attr-defined]  # kept alive
    return language if translators or language == "en" else "en"
