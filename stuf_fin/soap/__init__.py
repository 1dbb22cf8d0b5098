"""SOAP 1.1 transport: spyne services for the two official ports, WSDL serving, faults."""
