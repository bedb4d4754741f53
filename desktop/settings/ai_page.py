"""AI providers: LLM order and endpoints, API keys (to the keyring), STT model and TTS voices."""

from __future__ import annotations

from PySide6.QtWidgets import QDoubleSpinBox, QFormLayout, QLabel, QLineEdit, QWidget

from earpiece.core import secrets
from earpiece.core.providers.registry import LLM_PROVIDERS, TTS_PROVIDERS
from earpiece.core.settings import Settings, SttSettings
from earpiece.desktop.settings.page import SettingsPage, secret_field
from earpiece.desktop.settings.provider_order import ProviderOrder

_LABELS = {**LLM_PROVIDERS, **TTS_PROVIDERS}


class AiPage(SettingsPage):
    title = "AI providers"

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.llm_providers = ProviderOrder(tuple(LLM_PROVIDERS), _LABELS)
        self.llm_providers.setToolTip("Ticked ones are tried from the top; drag to reorder. 'Offline' "
                                      "never fails, so keep it ticked and last.")
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
        self.stt_model.setToolTip(
            "A bundled model name (moonshine-tiny, tiny.en) or a CTranslate2 Whisper folder"
        )
        self.tts_providers = ProviderOrder(tuple(TTS_PROVIDERS), _LABELS)
        self.tts_providers.setToolTip("Ticked ones are tried from the top; drag to reorder.")
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
        self.llm_providers.set_order(settings.llm.providers)
        self.groq_model.setText(settings.llm.groq_model)
        self.groq_base_url.setText(settings.llm.groq_base_url)
        self.openai_base_url.setText(settings.llm.openai_base_url)
        self.openai_model.setText(settings.llm.openai_model)
        self.llm_timeout.setValue(settings.llm.timeout_s)
        self.stt_model.setText(settings.stt.model)
        self.tts_providers.set_order(settings.tts.providers)
        self.edge_voice.setText(settings.tts.edge_voice)
        self.piper_voice.setText(settings.tts.piper_voice)

    def apply(self, settings: Settings) -> None:
        settings.llm.providers = self.llm_providers.order()
        settings.llm.groq_model = self.groq_model.text().strip()
        settings.llm.groq_base_url = self.groq_base_url.text().strip()
        settings.llm.openai_base_url = self.openai_base_url.text().strip()
        settings.llm.openai_model = self.openai_model.text().strip()
        settings.llm.timeout_s = self.llm_timeout.value()
        settings.stt.model = self.stt_model.text().strip() or SttSettings().model
        settings.tts.providers = self.tts_providers.order()
        settings.tts.edge_voice = self.edge_voice.text().strip()
        settings.tts.piper_voice = self.piper_voice.text().strip()

    def problems(self) -> list[str]:
        found = []
        if not self.llm_providers.order():
            found.append("Language models: tick at least one (Offline always works).")
        if not self.tts_providers.order():
            found.append("Voices: tick at least one (Piper always works).")
        return found

    def store_secrets(self) -> None:
        for name, field in (("groq", self.groq_key), ("openai", self.openai_key)):
            if field.text():
                secrets.set_secret(name, field.text())
