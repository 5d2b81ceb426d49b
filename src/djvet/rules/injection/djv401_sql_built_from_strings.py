"""DJV401 sql-built-from-strings: see rules/DJV401.yaml."""

from __future__ import annotations

from collections.abc import Iterator

from astroid import nodes

from djvet.astro.access import is_test_code
from djvet.astro.exprs import dotted
from djvet.astro.reviewed import is_reviewed
from djvet.astro.strings import (
    Interpolation,
    Strings,
    callee_name,
    imported_name,
    is_constant_name,
    is_number_attribute,
    module_constant,
    returns_trusted,
)
from djvet.engine import ModuleContext
from djvet.rule import Hit, Rule

# QuerySet.extra()'s parameters (django/db/models/query.py): a call with only these is that one
EXTRA_SQL_ARGS = ("select", "where", "tables", "order_by")
EXTRA_ARGS = frozenset({*EXTRA_SQL_ARGS, "params", "select_params"})
# Calls whose result is SQL the ORM or the backend wrote, an identifier it quoted, or a number
TRUSTED_CALLS = frozenset(
    {
        "quote_name", "quote_name_unless_alias", "qn", "qn2", "as_sql", "sql_with_params", "compile", "int",
        "float", "len", "bool", "abs", "round", "db_type", "get_placeholder", "Identifier", "Literal", "Placeholder",
    }
)  # fmt: skip
# ruff's and bandit's codes and names for the same check
REVIEWED_AS = ("S608", "B608", "S610", "B610", "S611", "B611", "hardcoded-sql-expression", "django-raw-sql", "django-extra")
SQL_LAYERS = ("/db/backends/", "/db/models/sql/")
# Attributes a model's definition fixes: table and column names
TRUSTED_ATTRS = frozenset({"db_table", "column", "db_column", "db_tablespace", "attname", "model_name", "app_label"})


class SqlBuiltFromStrings(Rule):
    code = "DJV401"
    needs_text = ("execute", ".raw(", "RawSQL", ".extra(")

    def applies_to(self, ctx: ModuleContext) -> bool:
        return super().applies_to(ctx) and not is_test_code(ctx) and not _is_sql_layer(ctx.relpath)

    def check_call(self, node: nodes.Call, ctx: ModuleContext) -> Iterator[Hit]:
        name = callee_name(node)
        if name in ("execute", "executemany") and _is_cursor(node.func.expr if isinstance(node.func, nodes.Attribute) else None, node):
            yield from _judge(node, _argument(node, 0, "sql"), _sink(node), ctx)
        elif name == "raw" and isinstance(node.func, nodes.Attribute) and _is_manager(node.func.expr):
            yield from _judge(node, _argument(node, 0, "raw_query"), _sink(node), ctx)
        elif name == "RawSQL":
            yield from _judge(node, _argument(node, 0, "sql"), "`RawSQL()`", ctx)
        elif name == "extra" and node.keywords and not node.args and all(k.arg in EXTRA_ARGS for k in node.keywords):
            for keyword in node.keywords:
                if keyword.arg in EXTRA_SQL_ARGS:
                    value = keyword.value
                    items = value.elts if isinstance(value, (nodes.List, nodes.Tuple)) else [v for _, v in value.items] if isinstance(value, nodes.Dict) else [value]
                    for item in items:
                        yield from _judge(node, item, f"`extra({keyword.arg}=...)`", ctx)


def _judge(call: nodes.Call, sql: nodes.NodeNG | None, sink: str, ctx: ModuleContext) -> Iterator[Hit]:
    scope = call.scope()
    if sql is None or isinstance(sql, nodes.Const) or is_reviewed(ctx, call, REVIEWED_AS):
        return
    strings = Strings(scope, _trusts)
    if not strings.is_built_here(sql):
        return
    found = strings.blame_text(sql)
    if found is not None:
        yield Hit(call, _args(sink, found))


def _is_sql_layer(relpath: str) -> bool:
    """A database backend or the ORM's SQL compiler: writing SQL text from identifiers it quotes
    itself is its job (`django/db/backends/`, `django/contrib/gis/db/backends/`, `db/models/sql/`)."""
    return any(part in f"/{relpath}" for part in SQL_LAYERS)


def _sink(call: nodes.Call) -> str:
    """`cursor.execute()`, `Book.objects.raw()`; the method alone when the receiver is long."""
    text = call.func.as_string()
    return f"`{text}()`" if len(text) <= 40 else f"`{callee_name(call)}()`"


def _args(sink: str, found: Interpolation) -> dict[str, object]:
    return {"sink": sink, "how": found.how, "part": found.text, "line": found.part.lineno}


def _trusts(node: nodes.NodeNG, strings: Strings, depth: int) -> bool:
    """Literals, constants, the ORM's own SQL, quoted identifiers, table and column names."""
    if isinstance(node, nodes.Name):
        return module_constant(node, strings, depth)
    if isinstance(node, nodes.Attribute):
        chain = dotted(node) or ""
        return node.attrname in TRUSTED_ATTRS or "_meta" in chain.split(".") or is_constant_name(node.attrname) or is_number_attribute(node)
    if isinstance(node, nodes.Subscript):
        # a lookup in a table of literals (`ORDERINGS[key]`) can only give one of them
        return strings.blame(node.value, "the value", depth) is None and not isinstance(node.value, nodes.Call)
    if isinstance(node, nodes.Call):
        name = imported_name(node)
        if name in TRUSTED_CALLS or (isinstance(node.func, nodes.Attribute) and dotted(node.func.expr) is not None and "ops" in (dotted(node.func.expr) or "").split(".")):
            return True
        if returns_trusted(node, strings, depth):
            return True
        if name in ("str", "map", "tuple", "list", "sorted") and node.args:
            return all(strings.blame(a, "the value", depth) is None for a in node.args)
    return False


def _argument(call: nodes.Call, position: int, keyword: str) -> nodes.NodeNG | None:
    if len(call.args) > position and not isinstance(call.args[position], nodes.Starred):
        return call.args[position]
    return next((k.value for k in call.keywords or () if k.arg == keyword), None)


def _is_manager(node: nodes.NodeNG) -> bool:
    """`Book.objects.raw(...)`, `Model._default_manager.using(db).raw(...)`."""
    text = node.as_string()
    return "objects" in text or "_manager" in text


def _is_cursor(node: nodes.NodeNG | None, call: nodes.Call) -> bool:
    """`cursor.execute`, `connection.cursor().execute`, or a name bound from a `.cursor()` call."""
    if node is None:
        return False
    if isinstance(node, nodes.Call):
        return callee_name(node) == "cursor"
    name = node.attrname if isinstance(node, nodes.Attribute) else node.name if isinstance(node, nodes.Name) else ""
    if name in ("cursor", "cur", "c") or name.endswith("cursor"):
        return True
    if isinstance(node, nodes.Name):
        flows = Strings(call.scope(), _trusts).flows(node.name) or ()
        return any(isinstance(v, nodes.Call) and callee_name(v) == "cursor" for _, v in flows)
    return False
