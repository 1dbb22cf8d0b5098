"""The FIN domain: vorderingen, statuswijzigingen and verantwoordingen; reading, rules, processing.

Modules: :mod:`model` (dataclasses), :mod:`lezen` (XML → model), :mod:`schrijven` (model → XML),
:mod:`regels` (business rules), :mod:`verwerking` (the Di01 handlers), :mod:`errors`.
"""
