"""The HTML report (self-contained, interactive) and PNG export of a timeline.

`nlp.report` is both this package and the API call `nlp.report(...)`: importing any submodule makes
the package the attribute `nlp.report`, replacing the function, so the package itself is callable.
"""

import sys
import types

from nlp.report.html import build_report_html


class _CallablePackage(types.ModuleType):
    def __call__(self, *args, **kwargs):
        from nlp.report.api import report

        return report(*args, **kwargs)


sys.modules[__name__].__class__ = _CallablePackage

__all__ = ["build_report_html"]
