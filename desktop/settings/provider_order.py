"""An ordered, checkable list of providers: the checked ones are tried from the top down."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractItemView, QListWidget, QListWidgetItem, QWidget


class ProviderOrder(QListWidget):
    """Drag to reorder, tick to use. Unknown names in the settings are dropped; known ones that
    the settings do not list are shown unticked at the end."""

    def __init__(self, known: Sequence[str], labels: dict[str, str], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.known = tuple(known)
        self.labels = labels
        self.setDragDropMode(QAbstractItemView.DragDropMode.InternalMove)
        self.setDefaultDropAction(Qt.DropAction.MoveAction)
        self.setMaximumHeight(22 * len(self.known) + 8)

    def set_order(self, enabled: Sequence[str]) -> None:
        self.clear()
        chosen = [name for name in enabled if name in self.known]
        for name in chosen + [name for name in self.known if name not in chosen]:
            item = QListWidgetItem(self.labels.get(name, name))
            item.setData(Qt.ItemDataRole.UserRole, name)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable | Qt.ItemFlag.ItemIsDragEnabled)
            item.setCheckState(Qt.CheckState.Checked if name in chosen else Qt.CheckState.Unchecked)
            self.addItem(item)

    def order(self) -> list[str]:
        """The ticked providers, top first."""
        items = (self.item(row) for row in range(self.count()))
        ticked = (i for i in items if i.checkState() == Qt.CheckState.Checked)
        return [str(i.data(Qt.ItemDataRole.UserRole)) for i in ticked]
