"""Security: authentication (mutual TLS, HTTP Basic, WS-Security UsernameToken), authorisation per
client system (StUF013/StUF052), a hardened uvicorn transport, log masking and archive retention.

See ``docs/security.md``.  Kept import-light: ``stuf_fin.config`` imports :mod:`.configuratie`.
"""
