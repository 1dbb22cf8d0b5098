"""Make spyne 2.14 importable on Python 3.12 and 3.13.

- spyne's vendored ``six`` registers a meta-path importer with only ``find_module``/``load_module``,
  which Python 3.12 no longer calls: we load that file ourselves and give its importer the
  ``find_spec`` protocol (as six 1.16 does upstream).
- spyne imports ``cgi``, removed in 3.13: the ``legacy-cgi`` distribution provides it.

Import this module before anything imports spyne (``stuf_fin.soap`` does).
"""

from __future__ import annotations

import importlib.util
import sys


def _patch_vendored_six() -> None:
    if sys.version_info < (3, 12) or "spyne.util.six" in sys.modules:
        return
    spec = importlib.util.find_spec("spyne")
    if spec is None or not spec.submodule_search_locations:
        return
    path = f"{next(iter(spec.submodule_search_locations))}/util/six.py"
    six_spec = importlib.util.spec_from_file_location("spyne.util.six", path)
    six = importlib.util.module_from_spec(six_spec)
    six_spec.loader.exec_module(six)
    importer_class = six._SixMetaPathImporter

    def find_spec(self, fullname, path=None, target=None):
        if fullname in self.known_modules:
            return importlib.util.spec_from_loader(fullname, self)
        return None

    def create_module(self, spec):
        return self.load_module(spec.name)

    def exec_module(self, module):
        return None

    importer_class.find_spec = find_spec
    importer_class.create_module = create_module
    importer_class.exec_module = exec_module
    sys.modules["spyne.util.six"] = six


_patch_vendored_six()
