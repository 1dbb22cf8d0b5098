"""Verstrek Vorderingstatus: ``vrdLv01`` → ``vrdLa01`` (StUF 03.01 chapter 6; docs/vraag.md).

``vraagbericht`` reads the question, ``selectie`` turns ``gelijk`` into store criteria, ``scope`` and
``projectie`` decide what each answer object contains (``schemakennis`` tells what the schema allows),
``antwoord`` writes the vrdLa01, ``beantwoorden`` is the handler the pipeline calls.
"""

from stuf_fin.fin.vraag.beantwoorden import verstrek_vorderingstatus

__all__ = ["verstrek_vorderingstatus"]
