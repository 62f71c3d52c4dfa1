"""Small real demo data shipped with mmfuse (see README.md in this folder for sources and licenses)."""
