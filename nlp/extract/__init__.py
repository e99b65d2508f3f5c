"""Extraction runs over the stored articles: ``nlp.extract(db, ...)`` (see runner.extract).

``nlp.extract`` is both this package and the API function: importing a submodule rebinds the
attribute ``nlp.extract`` to the package, so the package itself is made callable and forwards
to ``runner.extract``; either way ``nlp.extract(db, ...)`` runs an extraction.
"""

from __future__ import annotations

import sys
import types

from nlp.extract.runner import RunSummary, extract, parse_since

__all__ = ["extract", "RunSummary", "parse_since"]


class _CallablePackage(types.ModuleType):
    def __call__(self, *args, **kwargs):
        return extract(*args, **kwargs)


sys.modules[__name__].__class__ = _CallablePackage
