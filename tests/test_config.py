"""Settings: precedence (argument > environment > config file > default), errors, secrets."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from agent.config import Settings
from agent.errors import ConfigError

ROOT = Path(__file__).resolve().parents[1]
SEED = str(next((ROOT / "examples" / "syria").glob("*.txt")))
SECRET = "sk-test-Zq7-do-not-print"


@pytest.fixture(autouse=True)
def clean_env(monkeypatch, tmp_path):
    """No NEWSBRIEF_* / OPENAI_* variables from the outside, and a fresh working directory."""
    for name in list(os.environ):
        if name.startswith(("NEWSBRIEF_", "OPENAI_")):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_precedence_argument_env_file_default(monkeypatch, tmp_path):
    assert Settings().concurrency == 10  # default
    write(tmp_path / "newsbrief.toml", "concurrency = 3\nmax_cost = 0.25\n")
    assert Settings().concurrency == 3  # ./newsbrief.toml beats the default
    monkeypatch.setenv("NEWSBRIEF_CONCURRENCY", "5")
    settings = Settings()
    assert settings.concurrency == 5  # the environment beats the file
    assert settings.max_cost == 0.25  # ... only for what it sets
    assert Settings(concurrency=7).concurrency == 7  # an argument beats everything
    assert settings.config_path == Path("newsbrief.toml")


def test_config_file_by_option_and_by_environment(monkeypatch, tmp_path):
    elsewhere = tmp_path / "conf"
    elsewhere.mkdir()
    write(tmp_path / "newsbrief.toml", "max_reasks = 1\n")
    chosen = write(elsewhere / "x.toml", 'max_reasks = 0\nmax-chunks = 3\nrun_dir = "runs"\n')
    monkeypatch.setenv("NEWSBRIEF_CONFIG", str(chosen))
    from_env = Settings()
    assert (from_env.max_reasks, from_env.max_chunks) == (0, 3)
    assert from_env.run_dir == elsewhere / "runs"  # relative to the file
    monkeypatch.delenv("NEWSBRIEF_CONFIG")
    assert Settings().max_reasks == 1
    assert Settings(config_file=chosen).max_reasks == 0
    with pytest.raises(ConfigError, match="config file not found: nope.toml"):
        Settings(config_file="nope.toml")


def test_bad_value_in_file_is_one_clear_line(tmp_path):
    write(tmp_path / "newsbrief.toml", "concurrency = 0\n")
    with pytest.raises(ConfigError) as err:
        Settings()
    assert str(err.value) == "newsbrief.toml: concurrency: Input should be greater than 0"
    write(tmp_path / "newsbrief.toml", 'backend = "gpt"\nconcurrancy = 2\n')
    message = str(pytest.raises(ConfigError, Settings).value)
    assert (
        "newsbrief.toml: backend:" in message
        and "newsbrief.toml: concurrancy: unknown setting" in message
    )
    assert "\n" not in message
    write(tmp_path / "newsbrief.toml", "concurrency = \n")
    assert str(pytest.raises(ConfigError, Settings).value).startswith(
        "newsbrief.toml: invalid TOML:"
    )


def test_bad_value_in_env_and_argument(monkeypatch):
    monkeypatch.setenv("NEWSBRIEF_MAX_COST", "cheap")
    message = str(pytest.raises(ConfigError, Settings).value)
    assert message.startswith("$NEWSBRIEF_MAX_COST: max_cost: Input should be a valid number")
    assert "cheap" not in message  # values are never echoed (they may be secrets)
    monkeypatch.delenv("NEWSBRIEF_MAX_COST")
    assert (
        str(pytest.raises(ConfigError, Settings, timeout=-1).value)
        == "argument: timeout: Input should be greater than 0"
    )
    assert "unknown setting" in str(pytest.raises(ConfigError, Settings, colour="red").value)


def test_openai_variables_are_aliases(monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", SECRET)
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")
    settings = Settings()
    assert settings.api_key is not None and settings.api_key.get_secret_value() == SECRET
    assert settings.base_url == "http://127.0.0.1:9/v1"
    monkeypatch.setenv("NEWSBRIEF_BASE_URL", "http://127.0.0.1:8/v1")
    assert Settings().base_url == "http://127.0.0.1:8/v1"  # the newsbrief name wins
    assert Settings(base_url="http://a/v1").base_url == "http://a/v1"


def test_api_key_is_never_printed(monkeypatch, tmp_path):
    monkeypatch.setenv("OPENAI_API_KEY", SECRET)
    settings = Settings(concurrency=2)
    for text in (
        repr(settings),
        str(settings),
        settings.model_dump_json(),
        json.dumps(settings.model_dump(mode="json")),
        repr(settings.with_overrides(concurrency=3)),
    ):
        assert SECRET not in text
    assert settings.with_overrides(concurrency=3).api_key.get_secret_value() == SECRET
    write(tmp_path / "newsbrief.toml", f'api_key = "{SECRET}"\ntimeout = "slow"\n')
    assert SECRET not in str(pytest.raises(ConfigError, Settings).value)


def test_run_options_and_backend_choice(tmp_path):
    settings = Settings(
        concurrency=2,
        max_reasks=0,
        max_cost=0.5,
        max_tokens=1000,
        run_dir=tmp_path,
        article_max_tokens=300,
        synthesis_max_tokens=400,
        max_chunks=2,
    )
    seen = []
    options = settings.run_options(on_progress=lambda event, info: seen.append(event))
    assert (options.concurrency, options.max_reasks, options.max_cost, options.max_tokens) == (
        2,
        0,
        0.5,
        1000,
    )
    assert (options.article_max_tokens, options.synthesis_max_tokens, options.max_chunks) == (
        300,
        400,
        2,
    )
    assert options.run_dir == tmp_path
    options.on_progress("start", {})
    assert seen == ["start"]
    assert Settings(backend="none").make_backend() is None
    assert Settings(replay_dir=tmp_path).backend_name() == "replay"
    assert Settings(replay_dir=tmp_path, backend="none").backend_name() == "none"


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NEWSBRIEF_", "OPENAI_"))}
    return subprocess.run(
        [sys.executable, "-m", "agent", *args], capture_output=True, cwd=cwd, env=env, timeout=300
    )


def test_cli_summarize_reads_the_config_file(tmp_path):
    config = write(tmp_path / "my.toml", 'backend = "none"\n')
    result = _cli("summarize", SEED, "--config", str(config), "-q", cwd=tmp_path)
    assert result.returncode == 0, result.stderr.decode()
    assert json.loads(result.stdout)["run"]["backend"] == "none"
    write(config, "concurrency = -2\n")
    bad = _cli("summarize", SEED, "--config", str(config), "--backend", "none", cwd=tmp_path)
    assert bad.returncode == 2
    assert (
        bad.stderr.decode().strip()
        == f"newsbrief: error: {config}: concurrency: Input should be greater than 0"
    )
