"""Joining the theme index with returns: alignment without look-ahead, statistics, baskets.

`nlp.join` is both this package and the API call `nlp.join(...)`: importing any submodule makes the
package the attribute `nlp.join`, replacing the function, so the package itself is callable.
"""

import sys
import types

from nlp.join.align import build_join_frame, compute_basket_returns
from nlp.join.stats import compute_event_study, compute_lag_correlations, compute_ols_hac


class _CallablePackage(types.ModuleType):
    def __call__(self, *args, **kwargs):
        from nlp.join.api import join

        return join(*args, **kwargs)


sys.modules[__name__].__class__ = _CallablePackage

__all__ = ["build_join_frame", "compute_basket_returns", "compute_event_study", "compute_lag_correlations", "compute_ols_hac"]
