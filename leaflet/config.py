"""Stage 0: read and validate ``leaflet.toml`` (clinic, paper, defaults); all errors at once."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from .errors import LeafletError, raise_all
from .files import resolved, web_address
from .layouts import LAYOUTS, PAPERS, Layout, custom_layout
from .options import PDF_VARIANTS, TAGGED
from .resources import builtin_dir

CONFIG_NAME = "leaflet.toml"
_HEX = re.compile(r"^#[0-9a-fA-F]{6}$")
_TOML_LINE = re.compile(r"\(at line (\d+)")


@dataclass(frozen=True)
class Clinic:
    name: str = "Your clinic"
    address: str = ""
    phone: str = ""
    email: str = ""
    website: str = ""
    feedback: str = ""
    logo: Path | None = None
    brand_colour: str = "#005eb8"


@dataclass(frozen=True)
class FontSpec:
    """A clinic's own font file, placed first in the stack of the scripts it serves."""

    family: str
    path: Path
    scripts: tuple[str, ...]
    weight: str = "400"
    style: str = "normal"


@dataclass(frozen=True)
class Config:
    root: Path
    path: Path | None
    clinic: Clinic = field(default_factory=Clinic)
    paper: str = "a4"
    languages: tuple[str, ...] = ()
    layouts: tuple[str, ...] = ("standard",)
    link: str = ""
    allow_network: bool = False
    print_ready: tuple[str, ...] = ()
    fonts: tuple[FontSpec, ...] = ()
    review_warning_days: int = 90
    readability_grade: float = 8.0
    custom_layouts: tuple[Layout, ...] = ()
    site_url: str = ""  # [site] base_url: where OUT/site/ is published ('' if not said)
    # The clinic's country (ISO 3166, e.g. "GB"): dates and numbers follow its style in
    # every language written there ("en" prints as en-GB: 15 October 2026).
    region: str = ""

    @property
    def registry(self) -> dict[str, Layout]:
        """Every layout this project can build: the built-in ones, then its own."""
        return {**LAYOUTS, **{layout.name: layout for layout in self.custom_layouts}}

    def layout(self, name: str) -> Layout:
        return self.registry[name]


_CLINIC_KEYS = {f for f in Clinic.__dataclass_fields__}
_BUILD_KEYS = {"paper", "languages", "layouts", "link", "allow_network", "print_ready",
               "region"}
_CHECK_KEYS = {"review_warning_days", "readability_grade"}
_SITE_KEYS = {"base_url"}
_TOP_KEYS = {"clinic", "build", "check", "fonts", "layouts", "site"}


def load_config(root: Path) -> Config:
    """Read ``root/leaflet.toml``; a missing file means built-in defaults."""
    root = root.resolve()
    path = root / CONFIG_NAME
    if not path.exists():
        return Config(root=root, path=None)
    try:
        text = path.read_text(encoding="utf-8")
        data = tomllib.loads(text)
    except UnicodeDecodeError:
        raise LeafletError("not valid UTF-8 text", path) from None
    except OSError as exc:
        raise LeafletError(f"cannot read: {exc.strerror}", path) from None
    except tomllib.TOMLDecodeError as exc:
        match = _TOML_LINE.search(str(exc))
        raise LeafletError(
            f"not valid TOML: {exc}", path, int(match.group(1)) if match else None
        ) from None

    problems: list[str] = []
    _unknown(data, _TOP_KEYS, "", problems)

    clinic_data = _table(data, "clinic", problems)
    _unknown(clinic_data, _CLINIC_KEYS, "clinic.", problems)
    clinic_kwargs: dict = {}
    for key in _CLINIC_KEYS - {"logo"}:
        if key in clinic_data:
            value = clinic_data[key]
            if not isinstance(value, str):
                problems.append(f"clinic.{key} must be text, not {_kind(value)}")
            else:
                clinic_kwargs[key] = value.strip()
    colour = clinic_kwargs.get("brand_colour")
    if colour is not None and not _HEX.match(colour):
        problems.append(f"clinic.brand_colour must look like #005eb8, not {colour!r}")
    if "logo" in clinic_data:
        logo = clinic_data["logo"]
        if not isinstance(logo, str) or not logo:
            problems.append("clinic.logo must be a file name such as 'logo.svg'")
        else:
            logo_path = resolved(root / logo)
            if logo_path is None:
                problems.append(f"clinic.logo {logo!r} is not a file name")
            elif not logo_path.is_relative_to(root):
                problems.append(f"clinic.logo {logo!r} is outside the project folder")
            elif not logo_path.is_file():
                problems.append(f"clinic.logo file not found: {logo}")
            elif logo_path.suffix.lower() not in (".svg", ".png"):
                problems.append(f"clinic.logo must be an SVG or PNG file, not {logo!r}")
            else:
                clinic_kwargs["logo"] = logo_path

    custom = _custom_layouts(_table(data, "layouts", problems), root, problems)
    kwargs_layouts = {"custom_layouts": tuple(custom.values())}
    # A declared layout with a problem is still a known name: one problem, one message.
    known_layouts = {**LAYOUTS, **custom, **{str(name): None for name in
                                             _table(data, "layouts", [])}}

    build = _table(data, "build", problems)
    _unknown(build, _BUILD_KEYS, "build.", problems)
    kwargs: dict = {}
    paper = build.get("paper", "a4")
    # Values are read whatever their case: "A4" is a4, "Standard" the standard layout.
    if not isinstance(paper, str) or paper.lower() not in PAPERS:
        problems.append(f"build.paper must be one of {', '.join(PAPERS)}, not {paper!r}")
    else:
        kwargs["paper"] = paper.lower()
    by_lower = {name.lower(): name for name in known_layouts}
    for key in ("languages", "layouts", "print_ready"):
        if key in build:
            value = build[key]
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                problems.append(f"build.{key} must be a list of names, e.g. [\"en\", \"es\"]")
                continue
            if key == "languages":
                # Lazy: content brings YAML and the sanitizer (~20 ms), which
                # `leaflet --help` and `layouts` must not pay.
                from .content import canonical_tag

                kwargs[key] = tuple(canonical_tag(v.replace("_", "-")) for v in value)
                continue
            unknown = [v for v in value if v.lower() not in by_lower]
            if unknown:
                problems.append(f"build.{key}: unknown layout {unknown[0]!r} "
                                f"(known layouts: {', '.join(known_layouts)})")
            else:
                kwargs[key] = tuple(by_lower[v.lower()] for v in value)
    if "region" in build:
        region = build["region"]
        if not isinstance(region, str) or not _known_region(region):
            problems.append(f"build.region must be a country or region code such as \"GB\", "
                            f"\"US\" or \"MX\" (ISO 3166), not {region!r}")
        else:
            kwargs["region"] = region.upper()
    if "link" in build:
        link = build["link"]
        if not isinstance(link, str):
            problems.append("build.link must be text such as 'https://example.org/{slug}/{lang}/'")
        else:
            try:
                example = link.format(slug="x", lang="en")
            except Exception:  # noqa: BLE001 - str.format raises many kinds ({slug.x} …)
                problems.append("build.link may only use the placeholders {slug} and {lang}")
            else:
                if not web_address(example):
                    problems.append("build.link must be a web address starting with https:// "
                                    f"(or http://), not {link!r}")
                else:
                    kwargs["link"] = link
    if "allow_network" in build:
        if not isinstance(build["allow_network"], bool):
            problems.append("build.allow_network must be true or false")
        else:
            kwargs["allow_network"] = build["allow_network"]

    check = _table(data, "check", problems)
    _unknown(check, _CHECK_KEYS, "check.", problems)
    if "review_warning_days" in check:
        days = check["review_warning_days"]
        if not isinstance(days, int) or isinstance(days, bool) or days < 0:
            problems.append("check.review_warning_days must be a whole number of days")
        else:
            kwargs["review_warning_days"] = days
    if "readability_grade" in check:
        grade = check["readability_grade"]
        if not isinstance(grade, (int, float)) or isinstance(grade, bool):
            problems.append("check.readability_grade must be a number, e.g. 8")
        else:
            kwargs["readability_grade"] = float(grade)

    kwargs["fonts"] = _fonts(data.get("fonts", []), root, problems)
    kwargs.update(kwargs_layouts)

    site = _table(data, "site", problems)
    _unknown(site, _SITE_KEYS, "site.", problems)
    if "base_url" in site:
        url, problem = _base_url(site["base_url"])
        if problem:
            problems.append(problem)
        else:
            kwargs["site_url"] = url
            # The QR codes lead to the web version unless build.link says otherwise.
            kwargs.setdefault("link", url + "{slug}/{lang}/")

    # Each problem on the line of the setting it names (TOML itself gives lines only for
    # syntax errors), all of them at once.
    raise_all(sorted((LeafletError(p, path, setting_line(text, p)) for p in problems),
                     key=lambda e: e.line or 0))
    return Config(root=root, path=path, clinic=Clinic(**clinic_kwargs), **kwargs)


def _known_region(code: str) -> bool:
    from babel import Locale  # lazy: Babel's locale data costs ~50 ms

    return (len(code) == 2 and code.isalpha() or len(code) == 3 and code.isdigit()) \
        and code.upper() in Locale("en").territories


_SETTING = re.compile(r"^(?:unknown setting |\[)?([A-Za-z_][\w-]*(?:\.[\w-]+)*)")
_FONT_SETTING = re.compile(r"^(?:unknown setting )?fonts #(\d+)(?:[.:]\s*([a-z_]+))?")
_HEADER = re.compile(r"^\s*(\[\[?)\s*([^\]]+?)\s*\]\]?\s*(?:#.*)?$")


def setting_line(text: str, problem: str) -> int | None:
    """The line of ``leaflet.toml`` holding the setting a problem names (``build.paper``,
    ``layouts.card.page``, ``fonts #2: family``), else its table's header line."""
    lines = text.split("\n")
    headers = []  # (line number, table name, is an array of tables)
    for number, line in enumerate(lines, 1):
        match = _HEADER.match(line)
        if match:
            name = ".".join(part.strip().strip("\"'") for part in match.group(2).split("."))
            headers.append((number, name, match.group(1) == "[["))

    def key_in(start: int, key: str) -> int | None:
        for number in range(start + 1, len(lines) + 1):
            if _HEADER.match(lines[number - 1]):
                return None
            if re.match(rf"^\s*[\"']?{re.escape(key)}[\"']?\s*=", lines[number - 1]):
                return number
        return None

    if match := _FONT_SETTING.match(problem):
        tables = [n for n, name, array in headers if name == "fonts" and array]
        index = int(match.group(1)) - 1
        if index < len(tables):
            return (key_in(tables[index], match.group(2)) if match.group(2) else None) \
                or tables[index]
        return None
    match = _SETTING.match(problem)
    if not match:
        return None
    parts = match.group(1).split(".")
    for split in range(len(parts), -1, -1):
        table, rest = ".".join(parts[:split]), parts[split:]
        starts = [0] if not table else [n for n, name, _ in headers if name == table]
        for start in starts:
            found = key_in(start, rest[0]) if rest else None
            if found:
                return found
        if table and starts:
            return starts[0]
    return None


def _custom_layouts(tables: dict, root: Path, problems: list[str]) -> dict[str, Layout]:
    """The clinic's own layouts (``[layouts.NAME]``); their files must be in the project."""
    found = {}
    for name, table in tables.items():
        layout, trouble = custom_layout(str(name), table, PDF_VARIANTS, TAGGED)
        problems += trouble
        if layout is None:
            continue
        for folder, file in (("templates", layout.template), ("styles", layout.stylesheet)):
            own, builtin = resolved(root / folder / file), builtin_dir(folder) / file
            if not (own and own.is_relative_to(root) and own.is_file()) \
                    and not builtin.is_file():
                problems.append(f"layouts.{name}: {folder[:-1]} file {file!r} not found in "
                                f"{folder}/")
                layout = None
        if layout is not None:
            found[layout.name] = layout
    return found


def _fonts(value: object, root: Path, problems: list[str]) -> tuple[FontSpec, ...]:
    if not isinstance(value, list):
        problems.append("fonts must be a list of [[fonts]] tables")
        return ()
    specs = []
    for i, item in enumerate(value, 1):
        if not isinstance(item, dict):
            problems.append(f"fonts #{i} must be a table with family, file and scripts")
            continue
        _unknown(item, {"family", "file", "scripts", "weight", "style"}, f"fonts #{i}.", problems)
        family, file, scripts = item.get("family"), item.get("file"), item.get("scripts")
        if not isinstance(family, str) or not family:
            problems.append(f"fonts #{i}: family must be a font name")
            continue
        if not isinstance(file, str) or not file:
            problems.append(f"fonts #{i}: file must be a font file inside the project")
            continue
        path = resolved(root / file)
        if path is None or not path.is_relative_to(root) or not path.is_file():
            problems.append(f"fonts #{i}: file not found inside the project: {file}")
            continue
        if not isinstance(scripts, list) or not scripts or not all(
            isinstance(s, str) for s in scripts
        ):
            problems.append(f"fonts #{i}: scripts must be a list such as [\"Latn\", \"Arab\"]")
            continue
        specs.append(
            FontSpec(
                family=family,
                path=path,
                scripts=tuple(scripts),
                weight=str(item.get("weight", "400")),
                style=str(item.get("style", "normal")),
            )
        )
    return tuple(specs)


def _base_url(value: object) -> tuple[str, str]:
    """``(url, problem)`` for ``[site] base_url``: an absolute http(s) address of a folder.

    A missing final ``/`` is added: ``…/leaflets`` and ``…/leaflets/`` name the same folder.
    """
    example = "e.g. \"https://clinic.example/leaflets/\""
    if not isinstance(value, str) or not value.strip():
        return "", f"site.base_url must be the web address of the site's folder, {example}"
    url = value.strip()
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return "", f"site.base_url must start with https:// (or http://), {example}, not {url!r}"
    if parts.query or parts.fragment or "{" in url or "}" in url \
            or any(c.isspace() for c in url):
        return "", f"site.base_url must be a plain folder address without ?, # or {{}}, {example}"
    return (url if url.endswith("/") else url + "/"), ""


def _table(data: dict, key: str, problems: list[str]) -> dict:
    value = data.get(key, {})
    if not isinstance(value, dict):
        problems.append(f"[{key}] must be a table")
        return {}
    return value


def _unknown(data: dict, known: set[str], prefix: str, problems: list[str]) -> None:
    for key in sorted(set(data) - known):
        problems.append(f"unknown setting {prefix}{key} (known: {', '.join(sorted(known))})")


def _kind(value: object) -> str:
    return {bool: "true/false", int: "a number", float: "a number", list: "a list",
            dict: "a table"}.get(type(value), type(value).__name__)
