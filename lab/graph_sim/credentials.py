"""The lab app registration's credentials, as the simulator's token endpoint checks them: the client id, its
client secret (<lab_dir>/secrets/graph-client-secret), its certificate (<lab_dir>/secrets/graph-client-cert.pem)
and its federated credential (workload tokens from the lab OIDC issuer)."""
from __future__ import annotations

import os
import time
from pathlib import Path

from lab.secrets import lab_secret, secrets_dir

CLIENT_ID = "0b5e1f0e-0000-4000-8000-00000000a11b"


def client_secret() -> str:
    return lab_secret("graph-client-secret")


def client_certificate_path() -> Path:
    """PEM (private key + self-signed certificate) of the lab app's certificate credential, created once (0600):
    what `credential: certificate` signs its client assertion with."""
    path = secrets_dir() / "graph-client-cert.pem"
    if path.is_file():
        return path
    import datetime as dt

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "ndes-lab-graph-client")])
    now = dt.datetime.now(dt.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(hours=1))
            .not_valid_after(now + dt.timedelta(days=730)).sign(key, hashes.SHA256()))
    data = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption()) + cert.public_bytes(serialization.Encoding.PEM)
    _write_once(path, data)
    return path


# The lab app's federated credential (workload identity, e.g. a pipeline's OIDC token): who may sign in as it.
FEDERATED = {"issuer": "https://oidc.lab.contoso.test", "subject": "repo:contoso/ndes:environment:lab",
             "audience": "api://AzureADTokenExchange"}


def federated_issuer_key_path() -> Path:
    """The lab OIDC issuer's signing key (PEM, 0600, created once): what a pipeline's identity provider would
    sign its workload tokens with."""
    path = secrets_dir() / "graph-federated-issuer.pem"
    if not path.is_file():
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric import rsa
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        _write_once(path, key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                            serialization.NoEncryption()))
    return path


def federated_token(lifetime: int = 600, subject: str | None = None) -> str:
    """A workload identity token from the lab OIDC issuer (what AZURE_FEDERATED_TOKEN_FILE holds)."""
    import jwt
    from cryptography.hazmat.primitives import serialization
    key = serialization.load_pem_private_key(federated_issuer_key_path().read_bytes(), password=None)
    now = int(time.time())
    return jwt.encode({"iss": FEDERATED["issuer"], "sub": subject or FEDERATED["subject"],
                       "aud": FEDERATED["audience"], "iat": now, "nbf": now, "exp": now + lifetime},
                      key, algorithm="RS256")


def _write_once(path: Path, data: bytes) -> None:
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    try:
        os.link(tmp, path)  # first writer wins
    except FileExistsError:
        pass
    finally:
        tmp.unlink(missing_ok=True)


def assertion_problem(assertion: str, audience: str, client_id: str) -> str | None:
    """None when the client assertion is acceptable, else the reason. Two kinds, as Entra takes them:
    an RFC 7523 JWT signed by the lab app's certificate (iss = sub = client id, aud = this token endpoint), or a
    federated workload token from the lab OIDC issuer matching the app's federated credential."""
    import jwt
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization
    try:
        unverified = jwt.decode(assertion, options={"verify_signature": False})
    except jwt.PyJWTError as exc:
        return str(exc)
    if unverified.get("iss") == FEDERATED["issuer"]:
        key = serialization.load_pem_private_key(federated_issuer_key_path().read_bytes(), password=None).public_key()
        try:
            claims = jwt.decode(assertion, key, algorithms=["RS256"], audience=FEDERATED["audience"],
                                issuer=FEDERATED["issuer"], options={"require": ["exp", "iss", "sub", "aud"]})
        except jwt.PyJWTError as exc:
            return str(exc)
        if claims.get("sub") != FEDERATED["subject"]:
            return f"no federated credential of the app matches subject '{claims.get('sub')}'"
        return None
    cert = x509.load_pem_x509_certificate(client_certificate_path().read_bytes())
    try:
        claims = jwt.decode(assertion, cert.public_key(), algorithms=["RS256", "PS256"], audience=audience,
                            options={"require": ["exp", "iss", "sub", "aud"]})
    except jwt.PyJWTError as exc:
        return str(exc)
    if claims.get("iss") != client_id or claims.get("sub") != client_id:
        return "the assertion's iss/sub is not the client id"
    return None
