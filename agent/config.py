"""One configuration for the CLI, the Python API and the MCP server.

`Settings` is a pydantic-settings model. Its sources, highest precedence first:

1. arguments (`Settings(concurrency=2)`, CLI options, MCP tool arguments);
2. the environment: `NEWSBRIEF_<FIELD>` (e.g. `NEWSBRIEF_CONCURRENCY=2`), plus
   `OPENAI_API_KEY` and `OPENAI_BASE_URL` as aliases of `api_key` and `base_url`;
3. a TOML config file: `Settings(config_file=...)` / `--config FILE`, else
   `$NEWSBRIEF_CONFIG`, else `./newsbrief.toml` when it exists. Keys are the field names
   (`max_cost = 0.5`); relative paths in the file are relative to the file;
4. the defaults below.

An invalid value raises `ConfigError` with one line that says where it came from, e.g.
`newsbrief.toml: concurrency: Input should be greater than 0`. The API key is a
`SecretStr`: it never appears in `repr`, `str` or JSON dumps.
"""

from __future__ import annotations

import contextvars
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pydantic import AliasChoices, Field, PrivateAttr, SecretStr, ValidationError
from pydantic_settings import (
    BaseSettings,
    InitSettingsSource,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

from .errors import ConfigError
from .llm.factory import BackendName
from .tomlfile import load_toml

if TYPE_CHECKING:
    from .ingest.policy import AddressPolicy
    from .ingest.read import ReadOptions
    from .llm.base import Backend
    from .pipeline.options import ProgressFn, RunOptions

ENV_PREFIX = "NEWSBRIEF_"
CONFIG_ENV = "NEWSBRIEF_CONFIG"
DEFAULT_CONFIG = "newsbrief.toml"
_PATH_FIELDS = ("pricing_file", "run_dir", "record_dir", "replay_dir", "cache_dir")
_ENV_ALIASES = {
    "api_key": ("NEWSBRIEF_API_KEY", "OPENAI_API_KEY"),
    "base_url": ("NEWSBRIEF_BASE_URL", "OPENAI_BASE_URL"),
}

# The config file being read while a Settings is constructed (see Settings.__init__).
_CONFIG_FILE: contextvars.ContextVar[ConfigFile | None] = contextvars.ContextVar(
    "newsbrief_config", default=None
)


class ConfigFile:
    """A parsed TOML config file: its path as given and its values."""

    def __init__(self, path: Path, values: dict[str, Any]):
        self.path = path
        self.values = values

    @classmethod
    def read(cls, path: Path) -> ConfigFile:
        data = load_toml(path, "config file")
        values = {key.replace("-", "_"): value for key, value in data.items()}
        for key in _PATH_FIELDS:
            if (
                isinstance(values.get(key), str)
                and not Path(values[key]).expanduser().is_absolute()
            ):
                values[key] = str(path.parent / values[key])
        return cls(path, values)


def find_config_file(explicit: str | os.PathLike[str] | None = None) -> ConfigFile | None:
    """The config file to read: the explicit one, else $NEWSBRIEF_CONFIG, else ./newsbrief.toml."""
    if explicit:
        return ConfigFile.read(Path(explicit))
    if os.environ.get(CONFIG_ENV):
        return ConfigFile.read(Path(os.environ[CONFIG_ENV]))
    default = Path(DEFAULT_CONFIG)
    return ConfigFile.read(default) if default.is_file() else None


class _FileSource(InitSettingsSource):
    """The config file as a settings source (keys normalised like arguments)."""

    def __init__(self, settings_cls: type[BaseSettings]):
        config = _CONFIG_FILE.get()
        super().__init__(settings_cls, dict(config.values) if config else {})


class Settings(BaseSettings):
    """Everything a newsbrief run can be configured with (see the module docstring)."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        extra="forbid",
        populate_by_name=True,
        env_ignore_empty=True,
        validate_default=True,
    )

    backend: BackendName | None = Field(
        default=None,
        description="local, openai, replay or none (no model); default: openai when base_url "
        "is set, replay when replay_dir is set, else local",
    )
    model: str | None = Field(default=None, description="Model name for the openai backend.")
    base_url: str | None = Field(
        default=None,
        validation_alias=AliasChoices(*_ENV_ALIASES["base_url"]),
        description="OpenAI-compatible endpoint, e.g. http://127.0.0.1:8080/v1.",
    )
    api_key: SecretStr | None = Field(
        default=None,
        validation_alias=AliasChoices(*_ENV_ALIASES["api_key"]),
        description="API key for the openai backend (never printed).",
    )
    timeout: float = Field(default=120.0, gt=0, description="Seconds per HTTP request.")
    concurrency: int = Field(
        default=10, gt=0, description="Parallel model calls (the synthesis call among them)."
    )
    max_reasks: int = Field(default=2, ge=0, description="Re-asks after an invalid reply.")
    max_cost: float | None = Field(
        default=None,
        ge=0,
        description="Stop before a call that could take the run over this many USD.",
    )
    max_tokens: int | None = Field(
        default=None,
        gt=0,
        description="Stop before a call that could take the run over this many tokens.",
    )
    pricing_file: Path | None = Field(
        default=None, description="JSON or TOML pricing table overriding the built-in one."
    )
    allow_unpriced: bool = Field(
        default=False,
        description="With max_cost, run a model that has no price (its calls counted as "
        "free); without it such a run is refused before any call.",
    )
    run_dir: Path | None = Field(
        default=None, description="Save each finished article here; a rerun resumes."
    )
    record_dir: Path | None = Field(
        default=None, description="Record every model response here (for replay)."
    )
    replay_dir: Path | None = Field(
        default=None, description="Answer from recordings in this directory."
    )
    cache: bool = Field(
        default=True,
        description="Cache model responses on disk, so a repeated request costs nothing "
        "(not for the replay backend, which answers from its recordings).",
    )
    cache_dir: Path | None = Field(
        default=None,
        description="Where the response cache lives (default: the user cache directory, "
        "e.g. ~/.cache/newsbrief).",
    )
    cache_max_mb: float = Field(
        default=256.0, gt=0, description="Size limit of the response cache in MB."
    )
    fetch_private: bool = Field(
        default=False,
        description="Let URL inputs reach loopback, private and link-local addresses. The "
        "CLI sets it (its user chose the URLs); for the API and chat tools it is off.",
    )
    allow_paths: list[Path] | None = Field(
        default=None,
        description="Directories that file inputs must lie in (symlinks followed). None: any "
        "path (the CLI and the plain API). An empty list: no file paths at all, article "
        "texts and URLs only. `newsbrief mcp` sets it from --root or the client's roots.",
    )
    allow_endpoints: bool = Field(
        default=False,
        description="Let a tool call (MCP, run_tool) choose another backend, model or "
        "endpoint than these settings' own. Off: a call may only turn the model off "
        "(backend 'none'), and may lower but not raise --max-cost / --max-tokens.",
    )
    skip_bad_lines: bool = Field(
        default=False,
        description="Skip a malformed line of a JSONL input (reported in the brief) instead "
        "of refusing the whole file.",
    )
    feed_limit: int = Field(default=10, gt=0, description="Items taken from each feed.")
    overview_length: Literal["short", "medium", "long"] = Field(
        default="medium",
        description="Length of the story overview: short (about 90 words), medium (about "
        "210, near a news editor's summary) or long (about 330).",
    )
    article_max_tokens: int = Field(
        default=700, gt=0, description="Completion token limit of a per-article call."
    )
    synthesis_max_tokens: int = Field(
        default=700, gt=0, description="Completion token limit of the synthesis call."
    )
    max_chunks: int = Field(
        default=8, gt=0, description="Most chunks a long article is split into."
    )

    _config_path: Path | None = PrivateAttr(default=None)

    def __init__(self, config_file: str | os.PathLike[str] | None = None, **values: Any):
        config = find_config_file(config_file)
        token = _CONFIG_FILE.set(config)
        try:
            super().__init__(**values)
        except ValidationError as exc:
            raise ConfigError(describe_errors(exc, values, config)) from None
        finally:
            _CONFIG_FILE.reset(token)
        self._config_path = config.path if config else None

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return init_settings, env_settings, _FileSource(settings_cls)

    @property
    def config_path(self) -> Path | None:
        """The config file that was read, if any."""
        return self._config_path

    def with_overrides(self, **overrides: Any) -> Settings:
        """A copy with some fields replaced (validated; None values are ignored)."""
        changes = {k: v for k, v in overrides.items() if v is not None}
        if not changes:
            return self
        values = {name: getattr(self, name) for name in type(self).model_fields}
        return type(self)(**{**{k: v for k, v in values.items() if v is not None}, **changes})

    def backend_name(self) -> str | None:
        """The backend to build: the explicit one, or replay when only replay_dir is set."""
        if self.backend is None and self.replay_dir is not None:
            return "replay"
        return self.backend

    def backend_key(self) -> tuple[Any, ...]:
        """What identifies the backend these settings build (for caching; holds the key)."""
        key = self.api_key.get_secret_value() if self.api_key else None
        return (
            self.backend_name(),
            self.model,
            self.base_url,
            key,
            self.timeout,
            self.record_dir,
            self.replay_dir,
            self.cache,
            self.cache_dir,
            self.cache_max_mb,
        )

    def make_backend(self) -> Backend | None:
        """A new backend for these settings; None for the code-only mode (`backend="none"`)."""
        name = self.backend_name()
        if name == "none":
            return None
        from .llm.factory import make_backend

        return make_backend(
            name,
            model=self.model,
            base_url=self.base_url,
            api_key=self.api_key.get_secret_value() if self.api_key else None,
            record_dir=_str(self.record_dir),
            replay_dir=_str(self.replay_dir),
            cache=self.cache,
            cache_dir=_str(self.cache_dir),
            cache_max_mb=self.cache_max_mb,
            timeout=self.timeout,
        )

    def fetch_policy(self) -> AddressPolicy:
        """What URL inputs may reach under these settings (see `fetch_private`)."""
        from .ingest.policy import AddressPolicy

        return AddressPolicy(allow_private=self.fetch_private)

    def read_options(self) -> ReadOptions:
        """How local files are read under these settings (allowed directories, bad lines)."""
        from .ingest.read import ReadOptions

        return ReadOptions(roots=self.allow_paths, skip_bad_lines=self.skip_bad_lines)

    def run_options(self, on_progress: ProgressFn | None = None) -> RunOptions:
        """The pipeline's RunOptions for these settings."""
        from .pipeline.options import RunOptions

        pricing = None
        if self.pricing_file is not None:
            from .llm.pricing import load_pricing

            pricing = load_pricing(str(self.pricing_file))
        return RunOptions(
            concurrency=self.concurrency,
            max_reasks=self.max_reasks,
            article_max_tokens=self.article_max_tokens,
            synthesis_max_tokens=self.synthesis_max_tokens,
            max_chunks=self.max_chunks,
            max_cost=self.max_cost,
            max_tokens=self.max_tokens,
            allow_unpriced=self.allow_unpriced,
            run_dir=self.run_dir,
            overview_length=self.overview_length,
            pricing=pricing,
            on_progress=on_progress,
        )


def _str(path: Path | None) -> str | None:
    return str(path) if path is not None else None


def _env_names(field: str) -> tuple[str, ...]:
    return _ENV_ALIASES.get(field, (ENV_PREFIX + field.upper(),))


def _env_set(name: str) -> bool:
    wanted = name.lower()
    return any(key.lower() == wanted and value != "" for key, value in os.environ.items())


def _field_of(key: str) -> str:
    """The field an input key (name or alias) belongs to."""
    for field, names in _ENV_ALIASES.items():
        if key in names:
            return field
    return key


def _origin(field: str, arguments: dict[str, Any], config: ConfigFile | None) -> str:
    """Where the value of `field` came from, in precedence order."""
    if field in arguments or any(name in arguments for name in _env_names(field)):
        return "argument"
    for name in _env_names(field):
        if _env_set(name):
            return f"${name}"
    if config is not None and field in config.values:
        return str(config.path)
    return "default"


def describe_errors(
    exc: ValidationError, arguments: dict[str, Any], config: ConfigFile | None
) -> str:
    """One line naming each bad setting, where it came from and what is wrong (never the value)."""
    parts = []
    for error in exc.errors(include_input=False, include_url=False):
        key = str(error["loc"][0]) if error["loc"] else "settings"
        field = _field_of(key)
        message = "unknown setting" if error["type"] == "extra_forbidden" else error["msg"]
        parts.append(f"{_origin(field, arguments, config)}: {field}: {message}")
    return "; ".join(dict.fromkeys(parts))
