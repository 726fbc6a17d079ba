"""The main window's actions, menus and toolbar, and what is enabled when."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from PySide6.QtGui import (
    QAction,
    QActionGroup,
    QKeySequence,
)

from restorer.gui.canvas import ViewMode
from restorer.gui.i18n import step_title, tr
from restorer.gui.window_base import WindowBase


class WindowActions(WindowBase):
    def _action(
        self, text: str, slot: Any, shortcuts: list[Any] | None = None, tip: str = ""
    ) -> QAction:
        action = QAction(text, self)
        # The toolbar shows the text without its mnemonic, also where a translation writes
        # it as a suffix ("打开(&O)…" -> "打开").
        action.setIconText(re.sub(r"\(&\w\)", "", text).replace("&", "").rstrip("…"))
        if shortcuts:
            action.setShortcuts([QKeySequence(s) for s in shortcuts])
        # The menu text's "&" marks the mnemonic; the status bar must not show it.
        action.setStatusTip(tip or text.replace("&&", "\0").replace("&", "").replace("\0", "&"))
        action.triggered.connect(slot)
        self.addAction(action)
        return action

    def _build_actions(self) -> None:
        std = QKeySequence.StandardKey
        self.open_action = self._action(tr("&Open…"), self.open_dialog, [std.Open])
        self.open_series_action = self._action(
            tr("Open DICOM &Series…"), self.open_series_dialog, ["Ctrl+Shift+O"]
        )
        self.next_slice_action = self._action(
            tr("Next Slice"), lambda: self._step_slice(1), ["PgDown", "Down"]
        )
        self.previous_slice_action = self._action(
            tr("Previous Slice"), lambda: self._step_slice(-1), ["PgUp", "Up"]
        )
        self.open_model_action = self._action(
            tr("Open &Model…"),
            self.user_models.open_dialog,
            tip=tr("Add your own model (.pth, .safetensors: ESRGAN, SwinIR, SCUNet, LaMa…)"),
        )
        self.library_action = self._action(tr("Your Mo&dels…"), self.user_models.show_library)
        self.save_action = self._action(tr("&Save"), self.save, [std.Save])
        self.save_as_action = self._action(tr("Save &As…"), self.save_as, ["Ctrl+Shift+S"])
        self.export_comparison_action = self._action(
            tr("&Export Comparison…"),
            self.export_comparison,
            tip=tr("Save the original and the result side by side, labelled, for sharing"),
        )
        self.export_change_action = self._action(
            tr("Export C&hange…"),
            self.export_change,
            tip=tr(
                "Save what the result changed (after − before, in HU for CT) as a colour map "
                "with its scale (PNG), or for CT as the change in HU (DICOM)"
            ),
        )
        self.copy_view_action = self._action(
            tr("&Copy View"),
            self.copy_view,
            [std.Copy],
            tip=tr("Copy the view as shown to the clipboard"),
        )
        self.quit_action = self._action(tr("&Quit"), self.close, [std.Quit])
        self.undo_action = self.history.create_action(self, redo=False)
        self.undo_action.setShortcuts([QKeySequence(std.Undo)])
        self.redo_action = self.history.create_action(self, redo=True)
        self.redo_action.setShortcuts([QKeySequence("Ctrl+Y"), QKeySequence("Ctrl+Shift+Z")])
        self.addAction(self.undo_action)
        self.addAction(self.redo_action)
        # The toolbar's Undo and Redo keep short fixed labels (the step goes in the tooltip):
        # "Undo Denoise" and "Undo Clear mask" would shift every button after them.
        self.undo_button = self._history_button(tr("Undo"), self.history.undo)
        self.history.canUndoChanged.connect(self.undo_button.setEnabled)
        self.history.undoTextChanged.connect(
            lambda text: self.undo_button.setToolTip(f"{tr('Undo')} {step_title(text)}".strip())
        )
        self.redo_button = self._history_button(tr("Redo"), self.history.redo)
        self.history.canRedoChanged.connect(self.redo_button.setEnabled)
        self.history.redoTextChanged.connect(
            lambda text: self.redo_button.setToolTip(f"{tr('Redo')} {step_title(text)}".strip())
        )
        self.prefs_action = self._action(
            tr("&Preferences…"), self.preferences, [std.Preferences, "Ctrl+,"]
        )
        self.zoom_in_action = self._action(
            tr("Zoom &In"), lambda: self.canvas.zoom_by(1.25), ["+", "=", std.ZoomIn]
        )
        self.zoom_out_action = self._action(
            tr("Zoom &Out"), lambda: self.canvas.zoom_by(0.8), ["-", std.ZoomOut]
        )
        self.actual_action = self._action(
            tr("&Actual Size (100%)"), lambda: self.canvas.set_zoom_percent(100), ["0"]
        )
        self.fit_action = self._action(tr("&Fit to Window"), self.canvas.fit, ["F"])
        self.toggle_action = self._action(
            tr("Toggle &Before/After"), self.toggle_before_after, ["B"]
        )
        self.mode_group = QActionGroup(self)
        self.mode_actions: dict[ViewMode, QAction] = {}
        for mode, text, key in (
            (ViewMode.SPLIT, tr("&Split View"), "S"),
            (ViewMode.SIDE_BY_SIDE, tr("Side by Si&de"), "D"),
            (ViewMode.DIFFERENCE, tr("Di&fference"), "X"),
            (ViewMode.UNCERTAINTY, tr("&Uncertainty"), "U"),
            (ViewMode.BEFORE, tr("Show Before"), None),
            (ViewMode.AFTER, tr("Show After"), None),
        ):
            action = self._action(
                text, lambda _=False, m=mode: self.set_view_mode(m), [key] if key else None
            )
            action.setCheckable(True)
            self.mode_group.addAction(action)
            self.mode_actions[mode] = action
        self.mode_actions[ViewMode.SPLIT].setChecked(True)
        self.about_action = self._action(tr("&About Restorer"), self.about)

    def _build_menus(self) -> None:
        bar = self.menuBar()
        file_menu = bar.addMenu(tr("&File"))
        file_menu.addAction(self.open_action)
        file_menu.addAction(self.open_series_action)
        file_menu.addAction(self.open_model_action)
        file_menu.addAction(self.library_action)
        self.recent_menu = file_menu.addMenu(tr("Open &Recent"))
        self.recent_menu.aboutToShow.connect(self._fill_recent)
        file_menu.addSeparator()
        file_menu.addAction(self.save_action)
        file_menu.addAction(self.save_as_action)
        file_menu.addAction(self.export_comparison_action)
        file_menu.addAction(self.export_change_action)
        file_menu.addSeparator()
        file_menu.addAction(self.quit_action)
        edit = bar.addMenu(tr("&Edit"))
        edit.addAction(self.undo_action)
        edit.addAction(self.redo_action)
        edit.addSeparator()
        edit.addAction(self.copy_view_action)
        edit.addSeparator()
        edit.addAction(self.prefs_action)
        view = bar.addMenu(tr("&View"))
        for action in (
            self.zoom_in_action,
            self.zoom_out_action,
            self.actual_action,
            self.fit_action,
        ):
            view.addAction(action)
        view.addSeparator()
        view.addAction(self.toggle_action)
        for action in self.mode_actions.values():
            view.addAction(action)
        view.addSeparator()
        view.addAction(self.previous_slice_action)
        view.addAction(self.next_slice_action)
        help_menu = bar.addMenu(tr("&Help"))
        help_menu.addAction(self.about_action)

    def _history_button(self, text: str, trigger: Callable[[], None]) -> QAction:
        action = QAction(text, self)
        action.setToolTip(text)
        action.setEnabled(False)
        action.triggered.connect(trigger)
        return action

    def _build_toolbar(self) -> None:
        tools = self.addToolBar(tr("Main toolbar"))
        tools.setObjectName("main_toolbar")
        for action in (
            self.open_action,
            self.save_action,
            None,
            self.undo_button,
            self.redo_button,
            None,
            self.fit_action,
            self.actual_action,
            None,
            self.mode_actions[ViewMode.SPLIT],
            self.mode_actions[ViewMode.SIDE_BY_SIDE],
            self.mode_actions[ViewMode.DIFFERENCE],
            self.toggle_action,
        ):
            if action is None:
                tools.addSeparator()
            else:
                tools.addAction(action)

    def _fill_recent(self) -> None:
        self.recent_menu.clear()
        recent = self.settings.recent_files()
        for path in recent:
            action = self.recent_menu.addAction(str(path))
            action.triggered.connect(lambda _=False, p=path: self.open_file(p))
        if not recent:
            self.recent_menu.addAction(tr("(none)")).setEnabled(False)

    def _update_actions(self) -> None:
        has_doc = self.document is not None
        busy = self.runner.busy
        self.save_action.setEnabled(has_doc and not busy)
        self.save_as_action.setEnabled(has_doc and not busy)
        self.copy_view_action.setEnabled(has_doc)
        has_result = has_doc and self.document is not None and self.document.has_result
        self.export_comparison_action.setEnabled(has_result and not busy)
        self.export_change_action.setEnabled(has_result and not busy)
        self.open_action.setEnabled(not busy)
        self.panel.set_enabled_for_image(has_doc and not busy)

    def _update_title(self) -> None:
        if self.document is None:
            self.setWindowTitle("Restorer")
            return
        dirty = "" if self.history.isClean() else " *"
        self.setWindowTitle(f"{self.document.path.name}{dirty} — Restorer")
