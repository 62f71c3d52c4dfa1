"""Small real demo data shipped with mmfuse (README.md in this folder: sources and licenses)."""
