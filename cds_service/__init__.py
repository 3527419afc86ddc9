"""The HTTP face of the imaging appropriateness CDS Hooks service."""
