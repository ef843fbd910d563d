"""Agent discovery: one module in the agents folder is one agent.

A module is an agent when it has a docstring in the metadata format below, pydantic models
``Input`` and ``Output`` and a callable ``run(input: Input) -> Output``. A long agent may
report its progress: when ``run`` has a parameter named ``progress`` it is called as
``run(input, progress=progress)``, and the agent calls ``progress(done, total, message)`` as
it works (see :class:`service.worker.ProgressReporter`). Files whose name
starts with ``_`` are skipped. The slug is the module name without a trailing ``_agent``,
with underscores turned into hyphens (``lead_scoring_agent.py`` -> ``lead-scoring``).

Docstring format::

    Lead Scoring                          <- first line: the agent's name

    Scores a B2B lead from 0 to 100.      <- first paragraph: short description

    Any further paragraphs form the       <- long description (defaults to the short one)
    long description.

    Features:                             <- optional bullet list
    - Explained weights
    - Grade A-D

    Category: Sales                       <- trailing "Key: value" block
    Price cents: 1500                        (price cents is required)
    Currency: USD                            (default USD)
    Icon: 🎯                                 (default 🤖)
    Version: 1.0.0                           (default 1.0.0)

Keys are case-insensitive; spaces and hyphens in keys count as underscores.
"""

from __future__ import annotations

import importlib.util
import inspect
import logging
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

from pydantic import BaseModel

logger = logging.getLogger("abetworks.agents.discovery")

DEFAULT_CURRENCY = "USD"
DEFAULT_ICON = "🤖"
DEFAULT_VERSION = "1.0.0"
DEFAULT_CATEGORY = "General"

_KEY_LINE = re.compile(r"^([A-Za-z][A-Za-z _-]*?)\s*:\s*(\S.*)$")
_BULLET = re.compile(r"^[-*•]\s+(.+)$")
_KNOWN_KEYS = {"category", "price_cents", "currency", "icon", "version"}


class AgentDefinitionError(ValueError):
    """A module in the agents folder is not a valid agent."""


@dataclass(frozen=True)
class AgentMetadata:
    name: str
    short_description: str
    long_description: str
    category: str = DEFAULT_CATEGORY
    price_cents: int = 0
    currency: str = DEFAULT_CURRENCY
    icon: str = DEFAULT_ICON
    version: str = DEFAULT_VERSION
    features: tuple[str, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class AgentSpec:
    slug: str
    path: Path
    module: ModuleType
    metadata: AgentMetadata
    input_model: type[BaseModel]
    output_model: type[BaseModel]
    run: Any
    reports_progress: bool = False

    def catalog_entry(self) -> dict[str, Any]:
        md = self.metadata
        return {
            "slug": self.slug,
            "name": md.name,
            "shortDescription": md.short_description,
            "longDescription": md.long_description,
            "category": md.category,
            "priceCents": md.price_cents,
            "currency": md.currency,
            "icon": md.icon,
            "features": list(md.features),
            "version": md.version,
            "inputSchema": self.input_model.model_json_schema(),
            "outputSchema": self.output_model.model_json_schema(mode="serialization"),
            "reportsProgress": self.reports_progress,
        }


def slug_for(path: Path) -> str:
    stem = path.stem
    if stem.endswith("_agent") and stem != "_agent":
        stem = stem[: -len("_agent")]
    return stem.replace("_", "-")


def candidate_files(agents_dir: Path) -> list[Path]:
    if not agents_dir.is_dir():
        return []
    return sorted(p for p in agents_dir.glob("*.py") if p.is_file() and not p.name.startswith("_"))


def _norm_key(key: str) -> str:
    return re.sub(r"[\s-]+", "_", key.strip().lower())


def parse_docstring(doc: str | None) -> AgentMetadata:
    """Parse an agent module docstring into metadata (see the module docstring)."""
    if not doc or not doc.strip():
        raise AgentDefinitionError("module has no docstring")
    lines = inspect.cleandoc(doc).splitlines()
    name = lines[0].strip()
    if not name:
        raise AgentDefinitionError("docstring's first line (the agent name) is empty")

    blocks: list[list[str]] = []
    current: list[str] = []
    for raw in lines[1:]:
        line = raw.strip()
        if line:
            current.append(line)
        elif current:
            blocks.append(current)
            current = []
    if current:
        blocks.append(current)

    paragraphs: list[str] = []
    features: list[str] = []
    keys: dict[str, str] = {}
    for block in blocks:
        if block[0].lower() == "features:":
            for item in block[1:]:
                match = _BULLET.match(item)
                if match:
                    features.append(match.group(1).strip())
                elif features:
                    features[-1] = f"{features[-1]} {item}"  # wrapped bullet line
                else:
                    raise AgentDefinitionError(f"Features: expects '- item' lines, got {item!r}")
            continue
        matches = [_KEY_LINE.match(line) for line in block]
        if all(matches) and all(_norm_key(m.group(1)) in _KNOWN_KEYS for m in matches if m):
            for m in matches:
                if m:
                    keys[_norm_key(m.group(1))] = m.group(2).strip()
            continue
        paragraphs.append(" ".join(block))

    if not paragraphs:
        raise AgentDefinitionError("docstring has no description paragraph after the name")
    if "price_cents" not in keys:
        raise AgentDefinitionError("docstring lacks a 'Price cents: <int>' line")
    try:
        price_cents = int(keys["price_cents"].replace("_", ""))
    except ValueError:
        raise AgentDefinitionError(
            f"Price cents must be an integer, got {keys['price_cents']!r}"
        ) from None
    if price_cents < 0:
        raise AgentDefinitionError("Price cents must not be negative")
    currency = keys.get("currency", DEFAULT_CURRENCY).upper()
    if not re.fullmatch(r"[A-Z]{3}", currency):
        raise AgentDefinitionError(f"Currency must be a 3-letter code, got {currency!r}")

    short = paragraphs[0]
    long = "\n\n".join(paragraphs[1:]) or short
    return AgentMetadata(
        name=name,
        short_description=short,
        long_description=long,
        category=keys.get("category", DEFAULT_CATEGORY),
        price_cents=price_cents,
        currency=currency,
        icon=keys.get("icon", DEFAULT_ICON),
        version=keys.get("version", DEFAULT_VERSION),
        features=tuple(features),
    )


def import_agent_module(path: Path) -> ModuleType:
    """Import one agent file under a private module name (fresh on every call)."""
    module_name = f"abetworks_agent_{path.stem}"
    spec = importlib.util.spec_from_file_location(module_name, path)
    if spec is None or spec.loader is None:
        raise AgentDefinitionError(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        sys.modules.pop(module_name, None)
        raise
    return module


def _model(module: ModuleType, attr: str) -> type[BaseModel]:
    value = getattr(module, attr, None)
    if not (isinstance(value, type) and issubclass(value, BaseModel)):
        raise AgentDefinitionError(f"module has no pydantic model named {attr!r}")
    return value


def accepts_progress(run: Any) -> bool:
    """Whether ``run`` takes a ``progress`` parameter (a callback for its progress)."""
    try:
        return "progress" in inspect.signature(run).parameters
    except (TypeError, ValueError):  # no signature to read (some builtins)
        return False


def load_agent(path: Path) -> AgentSpec:
    """Import and check one agent module. Raises on any problem."""
    module = import_agent_module(path)
    metadata = parse_docstring(module.__doc__)
    input_model = _model(module, "Input")
    output_model = _model(module, "Output")
    run = getattr(module, "run", None)
    if not callable(run):
        raise AgentDefinitionError("module has no callable 'run(input: Input) -> Output'")
    # Build the schemas now so a model that cannot produce one is rejected at start-up.
    input_model.model_json_schema()
    output_model.model_json_schema(mode="serialization")
    return AgentSpec(
        slug=slug_for(path),
        path=path,
        module=module,
        metadata=metadata,
        input_model=input_model,
        output_model=output_model,
        run=run,
        reports_progress=accepts_progress(run),
    )


def discover_agents(agents_dir: Path) -> dict[str, AgentSpec]:
    """Load every agent in ``agents_dir``; broken modules are logged and skipped."""
    agents: dict[str, AgentSpec] = {}
    if not agents_dir.is_dir():
        logger.error("agents folder %s does not exist; no agents loaded", agents_dir)
        return agents
    for path in candidate_files(agents_dir):
        slug = slug_for(path)
        if slug in agents:
            logger.error(
                "skipping agent module %s: slug %r already taken by %s",
                path.name,
                slug,
                agents[slug].path.name,
            )
            continue
        try:
            agents[slug] = load_agent(path)
        except (Exception, SystemExit):
            logger.exception("skipping agent module %s: it failed to load", path.name)
    logger.info("discovered %d agent(s) in %s: %s", len(agents), agents_dir, ", ".join(agents))
    return agents
