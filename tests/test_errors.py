"""Every exception the package defines derives from the one base (stuf_fin/errors.py)."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import stuf_fin
from stuf_fin.errors import StufFinError

#: Not imported: ``__main__`` runs the command line; the migrations need alembic's context.
SKIPPED = ("stuf_fin.__main__", "stuf_fin.store.migrations")


def _defined_exceptions() -> list[type[BaseException]]:
    found = []
    for info in pkgutil.walk_packages(stuf_fin.__path__, "stuf_fin."):
        if info.name.startswith(SKIPPED):
            continue
        module = importlib.import_module(info.name)
        found += [obj for _, obj in inspect.getmembers(module, inspect.isclass)
                  if issubclass(obj, BaseException) and obj.__module__ == info.name]
    return found


def test_every_exception_of_the_package_derives_from_the_base() -> None:
    exceptions = {f"{e.__module__}.{e.__qualname__}": e for e in _defined_exceptions()}
    assert {"stuf_fin.stuf.faults.StufFault", "stuf_fin.fin.errors.BusinessError",
            "stuf_fin.schema.parsing.XmlLimitError", "stuf_fin.store.postgres.DatabaseTimeout"} <= set(exceptions)
    assert [name for name, e in exceptions.items() if not issubclass(e, StufFinError)] == []


def test_the_kinds_keep_the_bases_callers_catch() -> None:
    from psycopg import OperationalError

    from stuf_fin.outbound.routing import RoutingError
    from stuf_fin.schema.parsing import XmlInputError
    from stuf_fin.store.postgres import DatabaseTimeout

    assert issubclass(XmlInputError, ValueError) and issubclass(RoutingError, ValueError)
    assert issubclass(DatabaseTimeout, OperationalError)
