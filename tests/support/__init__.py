"""Shared test support: the official kit, a real gateway server, SOAP helpers."""
