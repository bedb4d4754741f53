"""What the language-model and text-to-speech provider chains share (which providers are down)."""
