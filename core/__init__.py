"""The Qt-free, pjsua2-free heart of Earpiece: settings, secrets, models and the voice AI engine."""
