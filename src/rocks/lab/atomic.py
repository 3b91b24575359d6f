"""The lab's atomic writes are the project's: see :mod:`rocks.atomic`."""

from rocks.atomic import replace_with, write_bytes, write_json, write_text, write_with

__all__ = ["replace_with", "write_bytes", "write_json", "write_text", "write_with"]
