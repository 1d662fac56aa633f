"""Host-name encoding (IDNA 2008 with UTS #46), through the optional ``idna`` package.

One place decides how a ``str`` host name becomes the ``bytes`` handed to the
resolver (:func:`tether.socket.getaddrinfo`) or to TLS (``SSLStream``'s
``server_hostname``):

* an ASCII name (which includes every numeric IPv4/IPv6 address) is encoded
  as ASCII, with nothing else involved;
* a non-ASCII name is encoded with IDNA 2008 and the UTS #46 mapping by the
  ``idna`` package, as Trio does. Python's own ``"idna"`` codec implements the
  older IDNA 2003, which maps some names to a *different* host
  (``"straße.de"`` becomes ``"strasse.de"``), so it is never used as a
  fallback. ``idna`` is an optional extra (``pip install "tether[idna]"``);
  without it, encoding a non-ASCII name raises an :exc:`ImportError` that
  says so.
"""

from __future__ import annotations

from typing import Final

#: The command that installs the optional dependency, quoted in the error.
IDNA_INSTALL_HINT: Final = 'pip install "tether[idna]"'


def _idna_encode(hostname: str) -> bytes:
    try:
        import idna
    except ImportError as exc:
        raise ImportError(
            f"the host name {hostname!r} is not ASCII: encoding it with IDNA 2008 needs "
            f"the optional 'idna' package; install it with {IDNA_INSTALL_HINT} "
            "(or pass the name already encoded, e.g. as xn--... bytes)",
            name="idna",
        ) from exc
    return idna.encode(hostname, uts46=True)


def encode_hostname(hostname: str) -> bytes:
    """Encode a host name the way tether (and Trio) hand it to the resolver and to TLS.

    ASCII names, including numeric IPv4 and IPv6 addresses, are returned as
    ASCII bytes unchanged. Other names are encoded with IDNA 2008 and the
    UTS #46 mapping (lower-casing, width folding...), so
    ``"bücher.example"`` becomes ``b"xn--bcher-kva.example"`` and
    ``"straße.de"`` becomes ``b"xn--strae-oqa.de"`` (Python's IDNA 2003
    codec would give ``"strasse.de"``, another host). Use it to learn which
    exact name :func:`tether.socket.getaddrinfo` or :class:`tether.SSLStream`
    will use.

    Non-ASCII names need the optional ``idna`` package: install tether with
    ``pip install "tether[idna]"``.

    Args:
        hostname: the host name to encode.

    Returns:
        The encoded name, as ASCII bytes.

    Raises:
        ImportError: if ``hostname`` is not ASCII and the ``idna`` package is
            not installed (the message names the ``tether[idna]`` extra).
        UnicodeError: if ``hostname`` is not a valid IDNA 2008 name (an empty
            label, a label longer than 63 characters, a disallowed
            character...); ``idna.IDNAError`` is a subclass.
    """
    try:
        return hostname.encode("ascii")
    except UnicodeEncodeError:
        return _idna_encode(hostname)
