"""Throwaway TLS certificates made at test time: a CA and a server certificate for 127.0.0.1.

ca = CertificateAuthority("Earpiece test CA")
files = ca.issue_server(folder)   # files.certificate, files.private_key (PEM), for IP 127.0.0.1
ca.write(folder / "ca.pem")       # what a client trusts
"""

from __future__ import annotations

import datetime
import ipaddress
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from tests.peers.process import LOOPBACK


@dataclass(frozen=True)
class ServerFiles:
    certificate: Path
    private_key: Path


def _key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _validity(builder: x509.CertificateBuilder) -> x509.CertificateBuilder:
    now = datetime.datetime.now(datetime.UTC)
    return builder.not_valid_before(now - datetime.timedelta(hours=1)).not_valid_after(
        now + datetime.timedelta(days=2)
    )


class CertificateAuthority:
    def __init__(self, name: str) -> None:
        self._key = _key()
        self.name = _name(name)
        builder = (
            x509.CertificateBuilder()
            .subject_name(self.name)
            .issuer_name(self.name)
            .public_key(self._key.public_key())
            .serial_number(x509.random_serial_number())
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(
                x509.KeyUsage(
                    digital_signature=True,
                    content_commitment=False,
                    key_encipherment=False,
                    data_encipherment=False,
                    key_agreement=False,
                    key_cert_sign=True,
                    crl_sign=True,
                    encipher_only=False,
                    decipher_only=False,
                ),
                critical=True,
            )
        )
        self.certificate = _validity(builder).sign(self._key, hashes.SHA256())

    def write(self, path: Path) -> Path:
        path.write_bytes(self.certificate.public_bytes(serialization.Encoding.PEM))
        return path

    def issue_server(self, folder: Path, ip: str = LOOPBACK) -> ServerFiles:
        """A server certificate for `ip` (subject alternative name IP and common name), signed here."""
        key = _key()
        builder = (
            x509.CertificateBuilder()
            .subject_name(_name(ip))
            .issuer_name(self.name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address(ip))]), False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), False)
        )
        certificate = _validity(builder).sign(self._key, hashes.SHA256())
        folder.mkdir(parents=True, exist_ok=True)
        files = ServerFiles(folder / "server.pem", folder / "server.key")
        files.certificate.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
        files.private_key.write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.TraditionalOpenSSL,
                serialization.NoEncryption(),
            )
        )
        files.private_key.chmod(0o600)
        return files
