"""Files the configuration names (CA bundles, the Graph certificate): they must exist and hold PEM, checked at
preview with the key named, before a component or a check tries to read them. Kept out of ndes/model, which does
no I/O."""
from __future__ import annotations

from pathlib import Path

from .model.config import DeploymentConfig
from .model.errors import ConfigError, Problem


def named_files(cfg: DeploymentConfig) -> list[tuple[str, str, bool]]:
    """(config key, path, must hold a certificate) for every file the configuration names."""
    out = []
    tls = [("domain", cfg.domain), ("winrm", cfg.winrm), ("ca.winrm", cfg.ca.winrm), ("graph", cfg.graph)]
    tls += [(f"ndesHosts[{i}].winrm", h.winrm) for i, h in enumerate(cfg.ndes_hosts)]
    for key, opt in tls:
        if opt is not None and opt.ca_bundle:
            out.append((f"{key}.caBundle", opt.ca_bundle, True))
    if cfg.graph.credential == "certificate" and cfg.graph.certificate_path:
        out.append(("graph.certificatePath", cfg.graph.certificate_path, False))
    return out


def file_problems(cfg: DeploymentConfig, base: Path | None = None) -> list[Problem]:
    problems = []
    for key, name, pem in named_files(cfg):
        p = Path(name)
        if not p.is_absolute():
            p = (base or Path.cwd()) / p
        try:
            text = p.read_text(errors="replace")
        except OSError as exc:
            problems.append(Problem(key, f"cannot read {p}: {exc.strerror or exc}",
                                    "give the path of a PEM file that exists (relative paths start at the project "
                                    "directory)"))
            continue
        if pem and "-----BEGIN CERTIFICATE-----" not in text:
            problems.append(Problem(key, f"{p} holds no PEM certificate (-----BEGIN CERTIFICATE-----)",
                                    "give the PEM file of the CA certificates to trust"))
    return problems


def check_files(cfg: DeploymentConfig, base: Path | None = None) -> None:
    problems = file_problems(cfg, base)
    if problems:
        raise ConfigError(problems)
