"""The method menu that the ImageExplainer and the TextExplainer share: ``method`` and
``compare`` name methods the registry offers for the widget's kind of input, and a new method
keeps only the options it knows. A mixin: the widget defines the ``methods`` (the registry's
methods of its kind), ``method``, ``compare`` and ``options`` traits and sets
``_METHOD_KIND`` (the registry's kind) and ``_METHOD_INPUTS`` (those inputs, in words).
"""

from __future__ import annotations

import traitlets

from ..errors import ExplainError
from ..explainers import get_method


class MethodMenu(traitlets.HasTraits):
    _METHOD_KIND = ""  # "image", "text": the registry's kind of input
    _METHOD_INPUTS = ""  # "images", "text": what the error message says it does not explain

    @classmethod
    def _check_method(cls, name: str, offered: dict):
        if name not in offered:
            get_method(name)  # an unknown name: the registry's own message
            raise ExplainError(f"{name!r} does not explain {cls._METHOD_INPUTS}; the "
                               f"{cls.__name__} offers {sorted(offered)}.")

    @traitlets.validate("method")
    def _validate_method(self, proposal):
        try:
            self._check_method(proposal["value"], self.methods)
        except ExplainError as exc:
            raise traitlets.TraitError(str(exc)) from None
        return proposal["value"]

    @traitlets.validate("compare")
    def _validate_compare(self, proposal):
        for name in proposal["value"]:
            try:
                self._check_method(name, self.methods)
            except ExplainError as exc:
                raise traitlets.TraitError(str(exc)) from None
        return list(dict.fromkeys(proposal["value"]))  # each method once

    def _drop_unknown_options(self, change) -> bool:
        """On a change of ``method``: options belong to a method, so keep only those the new
        one knows. True when ``options`` was changed (which fires the request observer again,
        which does the work)."""
        if change["name"] != "method" or change["old"] == change["new"]:
            return False
        known = get_method(change["new"], self._METHOD_KIND).options
        kept = {k: v for k, v in self.options.items() if k in known}
        if kept == self.options:
            return False
        self.options = kept
        return True
