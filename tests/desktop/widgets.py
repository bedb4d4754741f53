"""Reading tables, lists, trees and menus in tests: a missing item fails with where it was looked for."""

from __future__ import annotations

from PySide6.QtGui import QAction
from PySide6.QtWidgets import QListWidget, QMenu, QTableWidget, QTreeWidget, QTreeWidgetItem


def cell(table: QTableWidget, row: int, column: int) -> str:
    """The text of the table's item at (row, column)."""
    item = table.item(row, column)
    assert item is not None, f"{table.objectName() or 'table'}: no item at row {row}, column {column}"
    return item.text()


def top_item(tree: QTreeWidget, index: int) -> QTreeWidgetItem:
    """The tree's top-level item number `index`."""
    item = tree.topLevelItem(index)
    assert item is not None, f"{tree.objectName() or 'tree'}: no top-level item {index}"
    return item


def list_text(widget: QListWidget, row: int) -> str:
    """The text of the list's item in `row`."""
    item = widget.item(row)
    assert item is not None, f"{widget.objectName() or 'list'}: no item in row {row}"
    return item.text()


def action_menu(action: QAction) -> QMenu:
    """The menu a menu-bar action opens."""
    menu = action.menu()
    assert isinstance(menu, QMenu), f"{action.text()!r} opens no menu"
    return menu
