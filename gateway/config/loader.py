"""Load and check the config folder; refuse anything invalid with file, path and expectation.

Layout (every file optional except where a reference needs it)::

    config/
      gateway.yaml        mappings_dir (default: ../mappings)
      partners.yaml       a list of partners
      channels.yaml       a list of inbound channels
      destinations.yaml   a list of destinations
      routes.yaml         a list of routes
      webhooks.yaml       a list of signed webhook sources (one verifier scheme each)
      soap.yaml           a list of SOAP endpoints (a local WSDL each, loaded offline at start)
      api.yaml            partner API plans: rate limits per partner and route, token limits
      subscriptions.yaml  a list of outbound webhook subscriptions (docs/webhooks-outbound.md)
      versions.yaml       API version deprecations per partner (docs/versioning.md)

Errors are collected, not raised one at a time, so ``crossdock check`` shows everything wrong in
one run. Each names the file, the path inside it (``$[1].retry.max_attempts``), the line, and
what was expected.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import msgspec
import yaml

from connectors.soap import WsdlError, XmlError, load_endpoint
from connectors.webhook import SCHEMES, SecretFormatError, build_verifier
from gateway.config.api import ApiSpec
from gateway.config.drop_folders import check_drop_folders
from gateway.config.model import (
    Channel,
    Config,
    Destination,
    Partner,
    Route,
    SecretRef,
    SoapEndpoint,
    WebhookSource,
)
from gateway.config.oauth2 import check_oauth2
from gateway.config.soap_destination import check_soap_destination
from gateway.config.subscriptions import Subscription, check_subscriptions
from gateway.config.versions import VersionsSpec, check_versions
from gateway.config.x12 import check_x12
from gateway.config.x12_outbound import check_x12_destinations

T = TypeVar("T")


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the config: where it is and what was expected."""

    file: str
    path: str
    message: str
    line: int | None = None

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.path}: {self.message}"


class ConfigError(ValueError):
    """The config folder is invalid; ``problems`` lists every finding."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("invalid config:\n" + "\n".join(f"  {p}" for p in problems))


_PATH_TOKEN = re.compile(r"\.([A-Za-z_][A-Za-z0-9_-]*)|\[(\d+)\]")


def _line_of(node: yaml.Node | None, path: str) -> int | None:
    """Walk a composed YAML node along ``$.a[1].b`` and return the 1-based line it starts on."""
    if node is None:
        return None
    best = node.start_mark.line + 1
    for key, index in _PATH_TOKEN.findall(path.removeprefix("$")):
        if key and isinstance(node, yaml.MappingNode):
            found = next((v for k, v in node.value if getattr(k, "value", None) == key), None)
        elif index and isinstance(node, yaml.SequenceNode) and int(index) < len(node.value):
            found = node.value[int(index)]
        else:
            found = None
        if found is None:
            break
        node = found
        best = node.start_mark.line + 1
    return best


class _Reader:
    """Reads one folder, collecting problems instead of stopping at the first."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.problems: list[Problem] = []
        self.nodes: dict[str, yaml.Node | None] = {}
        self.failed: set[str] = set()  # files that did not load: their names are unknown

    def problem(self, file: str, path: str, message: str) -> None:
        self.problems.append(Problem(file, path, message, _line_of(self.nodes.get(file), path)))

    def load(self, name: str, kind: type[T], default: T) -> T:
        path = self.root / name
        if not path.exists():
            return default
        text = path.read_text(encoding="utf-8")
        try:
            self.nodes[name] = yaml.compose(text, Loader=yaml.SafeLoader)
            data = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            line = mark.line + 1 if mark is not None else None
            self.problems.append(Problem(name, "$", f"not valid YAML: {exc}", line))
            self.failed.add(name)
            return default
        if data is None:
            return default
        try:
            return msgspec.convert(data, kind, strict=True)
        except msgspec.ValidationError as exc:
            text_exc = str(exc)
            where = re.search(r"at `([^`]*)`", text_exc)
            at = where.group(1) if where else "$"
            message = text_exc.split(" - at ", maxsplit=1)[0]
            if "secret_headers" in at or "secrets[" in at or "client_secret" in at:
                message += "; a secret is a reference, {env: VAR} or {file: PATH}, never a value"
            self.problem(name, at, message)
            self.failed.add(name)
            return default


def resolve_secret(ref: SecretRef) -> str:
    """Read a referenced secret; raises ``LookupError`` saying which reference is missing."""
    if ref.env is not None:
        value = os.environ.get(ref.env)
        if value is None:
            raise LookupError(f"environment variable {ref.env} is not set")
        return value
    if ref.file is not None:
        try:
            return Path(ref.file).read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise LookupError(f"secret file {ref.file} cannot be read: {exc.strerror}") from exc
    raise LookupError("a secret reference needs exactly one of env or file")


def _unique(reader: _Reader, file: str, names: list[str]) -> None:
    seen: set[str] = set()
    for i, name in enumerate(names):
        if name in seen:
            reader.problem(file, f"$[{i}].name", f"duplicate name {name!r}; names must be unique")
        seen.add(name)


def _check_channels(
    r: _Reader, channels: list[Channel], partner_names: set[str] | None, mappings_dir: Path
) -> None:
    for i, ch in enumerate(channels):
        if partner_names is not None and ch.partner not in partner_names:
            r.problem(
                "channels.yaml",
                f"$[{i}].partner",
                f"unknown partner {ch.partner!r}; expected one of {sorted(partner_names)}",
            )
        if ch.mapping is not None and not (mappings_dir / ch.mapping).is_file():
            r.problem(
                "channels.yaml",
                f"$[{i}].mapping",
                f"mapping file {ch.mapping!r} not found under {mappings_dir}",
            )


def _check_routes(
    r: _Reader, routes: list[Route], dest_names: set[str] | None, partner_names: set[str] | None
) -> None:
    for i, route in enumerate(routes):
        for j, dest in enumerate(route.destinations):
            if dest_names is not None and dest not in dest_names:
                r.problem(
                    "routes.yaml",
                    f"$[{i}].destinations[{j}]",
                    f"unknown destination {dest!r}; expected one of {sorted(dest_names)}",
                )
        for j, partner in enumerate(route.partners):
            if partner_names is not None and partner not in partner_names:
                r.problem("routes.yaml", f"$[{i}].partners[{j}]", f"unknown partner {partner!r}")


_ENV_REF = re.compile(r"\$\{([A-Z_][A-Z0-9_]*)(?::-([^}]*))?\}")


def expand_env(text: str) -> str:
    """Expand ``${VAR}`` and ``${VAR:-default}``; raise ``LookupError`` for an unset VAR."""

    def one(match: re.Match[str]) -> str:
        value = os.environ.get(match.group(1))
        if value:
            return value
        if match.group(2) is not None:
            return match.group(2)
        raise LookupError(f"environment variable {match.group(1)} is not set and has no default")

    return _ENV_REF.sub(one, text)


def _check_destinations(r: _Reader, destinations: list[Destination]) -> list[Destination]:
    out = []
    for i, dest in enumerate(destinations):
        try:
            dest = msgspec.structs.replace(dest, url=expand_env(dest.url))  # noqa: PLW2901
        except LookupError as exc:
            r.problem("destinations.yaml", f"$[{i}].url", str(exc))
        dest, soap_problems = check_soap_destination(dest, r.root, resolve_secret)  # noqa: PLW2901
        for at, message in soap_problems:
            r.problem("destinations.yaml", f"$[{i}].{at}", message)
        out.append(dest)
        soap_default_url = dest.type == "soap" and not dest.url  # the WSDL's address is used
        if not soap_default_url and not dest.url.startswith(("http://", "https://")):
            r.problem("destinations.yaml", f"$[{i}].url", "expected an http:// or https:// URL")
        for header, ref in dest.secret_headers.items():
            try:
                resolve_secret(ref)
            except LookupError as exc:
                r.problem("destinations.yaml", f"$[{i}].secret_headers.{header}", str(exc))
        for at, message in check_oauth2(dest, resolve_secret):
            r.problem("destinations.yaml", f"$[{i}].{at}", message)
    return out


def _check_webhooks(
    r: _Reader, sources: list[WebhookSource], partner_names: set[str] | None, mappings_dir: Path
) -> None:
    file = "webhooks.yaml"
    for i, src in enumerate(sources):
        if partner_names is not None and src.partner not in partner_names:
            r.problem(
                file,
                f"$[{i}].partner",
                f"unknown partner {src.partner!r}; expected one of {sorted(partner_names)}",
            )
        if src.mapping is not None and not (mappings_dir / src.mapping).is_file():
            r.problem(file, f"$[{i}].mapping", f"mapping file {src.mapping!r} not found")
        if src.scheme not in SCHEMES:
            r.problem(
                file,
                f"$[{i}].scheme",
                f"unknown scheme {src.scheme!r}; expected one of {sorted(SCHEMES)}",
            )
            continue
        secrets = []
        for j, ref in enumerate(src.secrets):
            try:
                secrets.append(resolve_secret(ref))
            except LookupError as exc:
                r.problem(file, f"$[{i}].secrets[{j}]", str(exc))
        if len(secrets) < len(src.secrets):
            continue
        try:  # build once so a bad secret format or option is reported now, not per request
            build_verifier(src.scheme, secrets, tolerance=src.tolerance, options=src.options)
        except SecretFormatError as exc:
            r.problem(file, f"$[{i}].secrets", f"scheme {src.scheme}: {exc}")
        except ValueError as exc:
            r.problem(file, f"$[{i}].options", f"scheme {src.scheme}: {exc}")


def _check_soap(
    r: _Reader, endpoints: list[SoapEndpoint], partner_names: set[str] | None, mappings_dir: Path
) -> list[SoapEndpoint]:
    """Make paths absolute and load every WSDL now (offline), so a bad one fails at start."""
    file = "soap.yaml"
    out = []
    for i, ep in enumerate(endpoints):
        if partner_names is not None and ep.partner not in partner_names:
            r.problem(file, f"$[{i}].partner", f"unknown partner {ep.partner!r}")
        if ep.mapping is not None and not (mappings_dir / ep.mapping).is_file():
            r.problem(file, f"$[{i}].mapping", f"mapping file {ep.mapping!r} not found")
        ep = msgspec.structs.replace(  # noqa: PLW2901
            ep,
            wsdl=None if ep.wsdl is None else str((r.root / ep.wsdl).resolve()),
            schema_locations={
                url: str((r.root / local).resolve()) for url, local in ep.schema_locations.items()
            },
        )
        out.append(ep)
        if ep.wsdl is not None:
            try:
                load_endpoint(ep.spec)
            except (WsdlError, XmlError) as exc:
                r.problem(file, f"$[{i}].wsdl", exc.message)
    return out


def load_config(config_dir: str | Path) -> Config:
    """Load, type-check and cross-check a config folder; raise ``ConfigError`` listing problems."""
    root = Path(config_dir)
    if not root.is_dir():
        raise ConfigError([Problem(str(root), "$", "expected a config folder")])
    r = _Reader(root)

    class _Gateway(msgspec.Struct, forbid_unknown_fields=True):
        mappings_dir: str = "../mappings"

    gateway = r.load("gateway.yaml", _Gateway, _Gateway())
    partners = r.load("partners.yaml", list[Partner], [])
    channels = r.load("channels.yaml", list[Channel], [])
    destinations = r.load("destinations.yaml", list[Destination], [])
    routes = r.load("routes.yaml", list[Route], [])
    webhooks = r.load("webhooks.yaml", list[WebhookSource], [])
    soap = r.load("soap.yaml", list[SoapEndpoint], [])
    subscriptions = r.load("subscriptions.yaml", list[Subscription], [])
    api = r.load("api.yaml", ApiSpec, ApiSpec())
    versions = r.load("versions.yaml", VersionsSpec, VersionsSpec())

    _unique(r, "partners.yaml", [p.name for p in partners])
    _unique(r, "channels.yaml", [c.name for c in channels])
    _unique(r, "destinations.yaml", [d.name for d in destinations])
    _unique(r, "routes.yaml", [x.name for x in routes])
    _unique(r, "webhooks.yaml", [w.name for w in webhooks])
    _unique(r, "soap.yaml", [s.name for s in soap])
    _unique(r, "subscriptions.yaml", [s.name for s in subscriptions])

    # a file that did not load reads as empty; checking references against it would report
    # every reference to it as unknown, burying the one real problem under false ones
    partner_names = None if "partners.yaml" in r.failed else {p.name for p in partners}
    dest_names = None if "destinations.yaml" in r.failed else {d.name for d in destinations}
    mappings_dir = (root / gateway.mappings_dir).resolve()
    _check_channels(r, channels, partner_names, mappings_dir)
    channels, folder_problems = check_drop_folders(channels, root)
    for at, message in folder_problems:
        r.problem("channels.yaml", at, message)
    _check_routes(r, routes, dest_names, partner_names)
    destinations = _check_destinations(r, destinations)
    _check_webhooks(r, webhooks, partner_names, mappings_dir)
    soap = _check_soap(r, soap, partner_names, mappings_dir)
    dest_types = None if dest_names is None else {d.name: d.type for d in destinations}
    for i, partner in enumerate(partners):
        if partner.x12 is not None:
            for at, problem in check_x12(partner.x12, dest_types):
                r.problem("partners.yaml", f"$[{i}].x12.{at}", problem)
    for at, problem in check_x12_destinations(destinations, partners, mappings_dir):
        r.problem("destinations.yaml", at, problem)
    for at, problem in check_subscriptions(subscriptions, partner_names, resolve_secret):
        r.problem("subscriptions.yaml", at, problem)
    for at, problem in check_versions(versions, partner_names):
        r.problem("versions.yaml", at, problem)

    if r.problems:
        raise ConfigError(r.problems)
    return Config(
        partners={p.name: p for p in partners},
        channels={c.name: c for c in channels},
        destinations={d.name: d for d in destinations},
        routes=routes,
        mappings_dir=str(mappings_dir),
        webhooks={w.name: w for w in webhooks},
        soap={s.name: s for s in soap},
        subscriptions={s.name: s for s in subscriptions},
        api=api,
        versions=versions,
    )
