"""stuf-fin: a StUF-FIN 3.10 SOAP gateway."""

__version__ = "0.1.0"
