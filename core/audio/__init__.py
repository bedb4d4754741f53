"""Audio frames and the stages that consume or produce them."""
