"""Verstrek Vorderingstatus: ``vrdLv01`` → ``vrdLa01`` (StUF 03.01 chapter 6; docs/vraag.md), the domain part.

``vraagbericht`` reads the question, ``selection`` turns ``gelijk`` into the query model (``query``), ``scope``
and ``projection`` decide what each answer object contains (``schema_facts`` tells what the schema allows),
``antwoord`` writes the vrdLa01.  The handler the pipeline calls is :mod:`stuf_fin.pipeline.vraag`.
"""
