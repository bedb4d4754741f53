"""AI providers: LLM order and endpoints, API keys (to the keyring), STT model and TTS voices."""

from __future__ import annotations

from PySide6.QtWidgets import QDoubleSpinBox, QFormLayout, QLabel, QLineEdit, QWidget

from earpiece.core import secrets
from earpiece.core.settings import Settings
from earpiece.desktop.settings.page import SettingsPage, secret_field

KNOWN_LLM = ("groq", "openai", "offline")
KNOWN_TTS = ("edge", "piper")


def _order(text: str) -> list[str]:
    return [name.strip().lower() for name in text.split(",") if name.strip()]


class AiPage(SettingsPage):
    title = "AI providers"

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.llm_providers = QLineEdit()
        self.llm_providers.setToolTip("Tried in this order; 'offline' answers from the knowledge base "
                                      "without a language model and should stay last.")
        self.groq_key = secret_field("groq")
        self.groq_model = QLineEdit()
        self.groq_base_url = QLineEdit()
        self.groq_base_url.setPlaceholderText("default Groq endpoint")
        self.openai_base_url = QLineEdit()
        self.openai_model = QLineEdit()
        self.openai_key = secret_field("openai")
        self.llm_timeout = QDoubleSpinBox()
        self.llm_timeout.setRange(0.5, 60)
        self.llm_timeout.setSuffix(" s")
        self.stt_model = QLineEdit()
        self.stt_model.setToolTip("A bundled model name (tiny.en) or a CTranslate2 Whisper folder")
        self.tts_providers = QLineEdit()
        self.edge_voice = QLineEdit()
        self.piper_voice = QLineEdit()
        self.piper_voice.setPlaceholderText("the bundled voice")
        form = QFormLayout(self)
        form.addRow("Language models, in order", self.llm_providers)
        form.addRow("Groq API key", self.groq_key)
        form.addRow("Groq model", self.groq_model)
        form.addRow("Groq base URL", self.groq_base_url)
        form.addRow("OpenAI-compatible URL", self.openai_base_url)
        form.addRow("OpenAI-compatible model", self.openai_model)
        form.addRow("OpenAI-compatible API key", self.openai_key)
        form.addRow("Language model timeout", self.llm_timeout)
        form.addRow("Speech recognition model", self.stt_model)
        form.addRow("Voices, in order", self.tts_providers)
        form.addRow("edge-tts voice", self.edge_voice)
        form.addRow("Piper voice (.onnx)", self.piper_voice)
        form.addRow(QLabel("API keys are kept in the system keyring, never in the settings file."))

    def load(self, settings: Settings) -> None:
        self.llm_providers.setText(", ".join(settings.llm.providers))
        self.groq_model.setText(settings.llm.groq_model)
        self.groq_base_url.setText(settings.llm.groq_base_url)
        self.openai_base_url.setText(settings.llm.openai_base_url)
        self.openai_model.setText(settings.llm.openai_model)
        self.llm_timeout.setValue(settings.llm.timeout_s)
        self.stt_model.setText(settings.stt.model)
        self.tts_providers.setText(", ".join(settings.tts.providers))
        self.edge_voice.setText(settings.tts.edge_voice)
        self.piper_voice.setText(settings.tts.piper_voice)

    def apply(self, settings: Settings) -> None:
        settings.llm.providers = _order(self.llm_providers.text())
        settings.llm.groq_model = self.groq_model.text().strip()
        settings.llm.groq_base_url = self.groq_base_url.text().strip()
        settings.llm.openai_base_url = self.openai_base_url.text().strip()
        settings.llm.openai_model = self.openai_model.text().strip()
        settings.llm.timeout_s = self.llm_timeout.value()
        settings.stt.model = self.stt_model.text().strip() or "tiny.en"
        settings.tts.providers = _order(self.tts_providers.text())
        settings.tts.edge_voice = self.edge_voice.text().strip()
        settings.tts.piper_voice = self.piper_voice.text().strip()

    def problems(self) -> list[str]:
        found = []
        llm = _order(self.llm_providers.text())
        if not llm or any(name not in KNOWN_LLM for name in llm):
            found.append(f"Language models: choose from {', '.join(KNOWN_LLM)}.")
        tts = _order(self.tts_providers.text())
        if not tts or any(name not in KNOWN_TTS for name in tts):
            found.append(f"Voices: choose from {', '.join(KNOWN_TTS)}.")
        return found

    def store_secrets(self) -> None:
        for name, field in (("groq", self.groq_key), ("openai", self.openai_key)):
            if field.text():
                secrets.set_secret(name, field.text())
