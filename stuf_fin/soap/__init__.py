"""SOAP 1.1 transport: spyne services for the two official ports, WSDL serving, faults."""

import stuf_fin._compat  # noqa: F401  (before spyne is imported anywhere)
