"""The FIN domain: vorderingen, statuswijzigingen and verantwoordingen; reading, rules, the vrdLv01 model.

Modules: :mod:`model` (dataclasses), :mod:`fields` (the simple elements of each group and object),
:mod:`reader` (XML → model), :mod:`writer` (model → XML), :mod:`rules` (business rules), :mod:`vraag` (vrdLv01 →
query model, scope, vrdLa01), :mod:`errors`.
The handlers that store what this package reads are in :mod:`stuf_fin.pipeline`.
"""
