"""What an output depends on: the cache keys of the build (PDFs) and of the web version."""

from __future__ import annotations

import hashlib
import importlib.metadata as md
from pathlib import Path

from . import __version__, engine, fonts
from .config import Config
from .files import hash_tree
from .manifest import Job
from .options import RenderOptions
from .resources import builtin_dir

# The libraries whose versions change the bytes of an output (nh3 decides what HTML reaches
# the PDF, Pillow how images are resampled).
LIBRARIES = ("weasyprint", "pydyf", "fonttools", "pikepdf", "jinja2", "markdown", "babel",
             "nh3", "pillow", "pyphen", "tinycss2", "tinyhtml5", "cssselect2", "segno")
# The web version's own templates and stylesheet: no PDF depends on them.
SITE_TEMPLATES, SITE_STYLESHEET = "site", "site.css"


def shared_key(config: Config, options: RenderOptions, site: bool = False) -> str:
    """Hash of every input shared by all outputs: tool, engine, config, templates, fonts.

    The PDFs' key leaves out the web version's templates and stylesheet (editing them
    rebuilds no PDF); the web version's key (``site=True``) takes everything.
    """
    h = hashlib.sha256()
    for dist in LIBRARIES:
        try:
            h.update(f"{dist}={md.version(dist)};".encode())
        except md.PackageNotFoundError:
            pass
    h.update(f"leaflet={__version__};{options.key()};".encode())
    # The WeasyPrint fixes that are on change the bytes (LEAFLET_ENGINE_FIXES_OFF).
    h.update(f"{engine.identity()};".encode())
    if config.path is not None:
        h.update(config.path.read_bytes())
    if config.clinic.logo is not None:
        h.update(config.clinic.logo.read_bytes())

    def web_only(relative: Path) -> bool:
        return not site and (relative.parts[:1] == (SITE_TEMPLATES,)
                             or relative.as_posix() == SITE_STYLESHEET)

    # The conventional place for shared images.
    hash_tree(h, config.root / "assets", inside=config.root.resolve())
    for folder in ("templates", "styles", "locales"):
        hash_tree(h, config.root / folder, inside=config.root.resolve(), exclude=web_only)
        hash_tree(h, builtin_dir(folder), exclude=web_only)
    hash_tree(h, Path(__file__).parent, "*.py")  # the code itself, in a checkout
    for root in fonts.font_roots():  # the font packages, by version and files
        h.update(f"{root.name}={_package_version(root)};".encode())
        for path in sorted(root.rglob("*.[ot]tf")):
            h.update(f"{path.name}:{path.stat().st_size};".encode())
    for font in config.fonts:
        h.update(font.path.read_bytes())
    return h.hexdigest()


def _package_version(root: Path) -> str:
    """A font package's version, from the distribution that installed its folder."""
    name = root.name.replace("_", "-")
    try:
        return md.version(name)
    except md.PackageNotFoundError:
        return "?"


def job_key(shared: str, job: Job, config: Config) -> str:
    """One output's key: the shared inputs, its content file and the files beside it."""
    h = hashlib.sha256(shared.encode())
    h.update(f"{job.name};{config.paper};".encode())
    h.update(job.source.read_bytes())
    # Images and files a leaflet uses sit beside it (or in assets/, hashed in the shared
    # key): every other file of its folder counts, except the other languages' text.
    hash_tree(h, job.source.parent, inside=config.root, skip_suffix=".md")
    return h.hexdigest()
