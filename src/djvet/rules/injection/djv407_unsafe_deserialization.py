"""DJV407 unsafe-deserialization: see rules/DJV407.yaml."""

from __future__ import annotations

from collections.abc import Iterator

from astroid import nodes

from djvet.astro.access import is_test_code
from djvet.astro.strings import callee_name
from djvet.astro.taint import call_argument, request_taint, resolved_callee
from djvet.engine import ModuleContext
from djvet.rule import Hit, Rule

# Calls that build objects or run code from the data they read
LOADERS = frozenset(
    {
        "pickle.loads", "pickle.load", "pickle.Unpickler", "_pickle.loads", "cPickle.loads", "cPickle.load",
        "dill.loads", "dill.load", "cloudpickle.loads", "marshal.loads", "marshal.load", "jsonpickle.decode",
        "shelve.open", "yaml.unsafe_load", "yaml.unsafe_load_all", "eval", "exec", "builtins.eval", "builtins.exec",
        "pandas.read_pickle", "joblib.load",
    }
)  # fmt: skip
YAML_LOADERS = frozenset({"yaml.load", "yaml.load_all"})
# yaml.load with one of these builds plain data only (PyYAML's SafeLoader family)
SAFE_YAML_LOADERS = frozenset({"SafeLoader", "CSafeLoader", "BaseLoader", "CBaseLoader"})
CALL_NAMES = frozenset({*(q.rpartition(".")[2] for q in LOADERS | YAML_LOADERS)})


class UnsafeDeserialization(Rule):
    code = "DJV407"
    needs_text = ("pickle", "yaml", "eval", "exec", "marshal", "shelve", "joblib", "read_pickle")

    def applies_to(self, ctx: ModuleContext) -> bool:
        return super().applies_to(ctx) and not is_test_code(ctx)

    def check_call(self, node: nodes.Call, ctx: ModuleContext) -> Iterator[Hit]:
        if callee_name(node) not in CALL_NAMES:
            return
        function = resolved_callee(node, ctx) or ""
        if function not in LOADERS and not (function in YAML_LOADERS and not _safe_yaml_loader(node)):
            return
        data = call_argument(node, 0, "stream" if function in YAML_LOADERS else "data")
        taint = request_taint(node, ctx) if data is not None else None
        source = taint.source(data) if taint is not None and data is not None else None
        if source is not None:
            yield Hit(node, {"call": node.func.as_string(), "source": source})


def _safe_yaml_loader(call: nodes.Call) -> bool:
    loader = call_argument(call, 1, "Loader")
    if loader is None:
        return True  # PyYAML 6 refuses to guess a Loader: the call raises before it reads anything
    name = loader.attrname if isinstance(loader, nodes.Attribute) else getattr(loader, "name", "")
    return name in SAFE_YAML_LOADERS
