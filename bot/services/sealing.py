"""Sealed ballot papers: secrecy that survives a copy of the database.

While a secret ballot is open, the physical order of rows, the write-ahead log and the audit
log's times all say who cast when. So each paper is sealed at cast time (an X25519 sealed box)
to the ballot's own public key; the ballot's private key is stored only encrypted under the
server's secret (THIDUA_SECRET_KEY), which never enters the database. At close the papers are
opened in memory, counted, and stored shuffled and without receipts.

Every paper seals to the same length (a fixed-width bit mask), so not even a ciphertext's size
tells how many candidates were marked.
"""

from __future__ import annotations

from dataclasses import dataclass

from nacl.encoding import RawEncoder
from nacl.exceptions import CryptoError
from nacl.hash import blake2b
from nacl.public import PrivateKey, PublicKey, SealedBox
from nacl.secret import SecretBox

from bot.domain.errors import InvalidInput

PAPER_BYTES = 8  # a mask of up to 64 candidate positions
DEMO_SECRET = "thidua-console-demo-secret-not-for-real-ballots"  # the console demo's, public


class NoSecretKey(InvalidInput):
    """A secret ballot cannot open without the server's secret key."""

    key = "ballot.no_secret_key"


@dataclass(frozen=True)
class BallotKeys:
    public: bytes
    private_sealed: bytes  # the private key, encrypted under the server secret


class Sealer:
    def __init__(self, server_secret: str | None) -> None:
        self._box = SecretBox(_derive(server_secret)) if server_secret else None

    @property
    def ready(self) -> bool:
        return self._box is not None

    def new_keys(self) -> BallotKeys:
        if self._box is None:
            raise NoSecretKey()
        private = PrivateKey.generate()
        return BallotKeys(bytes(private.public_key), self._box.encrypt(bytes(private)))

    def seal(self, public: bytes, positions: frozenset[int]) -> bytes:
        mask = sum(1 << p for p in positions)
        return SealedBox(PublicKey(public)).encrypt(mask.to_bytes(PAPER_BYTES, "big"))

    def open_all(self, private_sealed: bytes, papers: list[bytes]) -> list[frozenset[int] | None]:
        """Every paper's marked positions; None for a paper that does not open (never guessed:
        it counts as invalid)."""
        if self._box is None:
            raise NoSecretKey()
        private = PrivateKey(self._box.decrypt(private_sealed))
        box = SealedBox(private)
        opened: list[frozenset[int] | None] = []
        for paper in papers:
            try:
                mask = int.from_bytes(box.decrypt(paper), "big")
            except CryptoError:
                opened.append(None)
                continue
            opened.append(frozenset(p for p in range(PAPER_BYTES * 8) if mask >> p & 1))
        return opened


def _derive(secret: str) -> bytes:
    return blake2b(
        secret.encode(), digest_size=SecretBox.KEY_SIZE, person=b"thidua-seal", encoder=RawEncoder
    )
