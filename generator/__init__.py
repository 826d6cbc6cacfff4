"""briefing: a static site generator for news briefings."""

from pathlib import Path

__version__ = "0.1.0"


def builtin_templates() -> Path:
    """The built-in templates: inside the installed package, or templates/ of a source checkout."""
    package = Path(__file__).resolve().parent
    installed = package / "templates"  # where `pip install .` puts them (see pyproject.toml)
    return installed if installed.is_dir() else package.parent / "templates"
