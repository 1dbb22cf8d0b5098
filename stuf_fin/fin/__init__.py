"""The FIN domain: vorderingen, statuswijzigingen and verantwoordingen; reading, rules, the vrdLv01 model.

Modules: :mod:`model` (dataclasses), :mod:`lezen` (XML → model), :mod:`write` (model → XML),
:mod:`regels` (business rules), :mod:`vraag` (vrdLv01 → query model, scope, vrdLa01), :mod:`errors`.
The handlers that store what this package reads are in :mod:`stuf_fin.pipeline`.
"""
