"""Responders: Groq, OpenAI-compatible servers, the offline passage responder, and the fallback
chain and guards around them."""
