"""Collect one module's facts from its syntax (stdlib `ast`: cheap, and it never runs the code)."""

from __future__ import annotations

import ast
from typing import cast

from djvet.index.bodies import own_nodes
from djvet.index.branches import BRANCH_FUNCTIONS, collect_branches
from djvet.index.expr import Call, Expr, Name, Opaque, dotted_name, to_expr
from djvet.index.facts import ClassInfo, FunctionInfo, ModuleInfo, Statement

_CONDITIONAL = (ast.If, ast.Try, ast.With, ast.For, ast.While)
_TRY_STAR = getattr(ast, "TryStar", None)


def resolve_relative(module: str, is_package: bool, level: int, target: str | None) -> str:
    """The absolute name of `from <level dots><target> import ...` written in `module`."""
    if level == 0:
        return target or ""
    parts = module.split(".")
    if not is_package:
        parts = parts[:-1]
    if level > 1:
        parts = parts[: len(parts) - (level - 1)] if level - 1 <= len(parts) else []
    if target:
        parts.append(target)
    return ".".join(p for p in parts if p)


def _function(node: ast.FunctionDef | ast.AsyncFunctionDef, qualname: str) -> FunctionInfo:
    args = node.args
    names = tuple(a.arg for a in (*args.posonlyargs, *args.args))
    calls: set[str] = set()
    returns: list[Expr] = []
    data_calls: set[str] = set()
    uses_user = False
    for child in own_nodes(node):
        kind = type(child)  # most nodes are names, constants and contexts: one test sends them on
        if kind is ast.Call:
            call = cast(ast.Call, child)
            if not uses_user:
                uses_user = _uses_request_user(call)
            if isinstance(call.func, ast.Attribute):
                receiver = dotted_name(call.func.value)
                calls.add(f"{receiver}.{call.func.attr}" if receiver else call.func.attr)
            if any(k.arg == "data" for k in call.keywords):
                called = _called_name(call.func)
                if called is not None:
                    data_calls.add(called)
        elif kind is ast.Attribute:
            if not uses_user:
                uses_user = _uses_request_user(child)
        elif kind is ast.Return:
            value = cast(ast.Return, child).value
            if value is not None and len(returns) < 20:
                returns.append(to_expr(value))
    return FunctionInfo(
        name=node.name,
        qualname=qualname,
        line=node.lineno,
        end_line=node.end_lineno or node.lineno,
        decorators=tuple(to_expr(d) for d in node.decorator_list),
        args=names,
        is_async=isinstance(node, ast.AsyncFunctionDef),
        calls=frozenset(calls),
        returns=tuple(returns),
        branches=collect_branches(node) if node.name in BRANCH_FUNCTIONS else None,
        uses_request_user=uses_user,
        data_calls=frozenset(data_calls),
    )


def _called_name(func: ast.expr) -> str | None:
    """`UserSerializer`, `self.get_serializer`, and `self.get_serializer_class()` as
    `self.get_serializer_class()`: the call whose result is called."""
    if isinstance(func, ast.Call):
        inner = dotted_name(func.func)
        return f"{inner}()" if inner else None
    return dotted_name(func)


def _is_request(node: ast.AST) -> bool:
    """`request` or `self.request`."""
    if isinstance(node, ast.Name):
        return node.id == "request"
    return isinstance(node, ast.Attribute) and node.attr == "request" and isinstance(node.value, ast.Name) and node.value.id == "self"


def _uses_request_user(node: ast.AST) -> bool:
    if isinstance(node, ast.Attribute) and node.attr in ("user", "auth") and _is_request(node.value):
        return True
    if isinstance(node, ast.Call) and not _is_super_call(node):
        return any(_is_request(a) for a in node.args) or any(_is_request(k.value) for k in node.keywords)
    return False


def _is_super_call(node: ast.Call) -> bool:
    """`super().post(request, ...)`: handing the request on to the parent class decides nothing."""
    func = node.func
    return isinstance(func, ast.Attribute) and isinstance(func.value, ast.Call) and isinstance(func.value.func, ast.Name) and func.value.func.id == "super"


def _assign_targets(node: ast.stmt) -> tuple[list[str], ast.expr | None]:
    if isinstance(node, ast.Assign):
        names = [t.id for t in node.targets if isinstance(t, ast.Name)]
        for target in node.targets:
            if isinstance(target, ast.Tuple):
                names.extend(e.id for e in target.elts if isinstance(e, ast.Name))
        single = len(node.targets) == 1 and isinstance(node.targets[0], ast.Name)
        return names, node.value if single or all(isinstance(t, ast.Name) for t in node.targets) else None
    if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
        return [node.target.id], node.value
    return [], None


def _setitem(target: ast.expr, value: Expr, line: int) -> Call | None:
    """`NAME[key] = value` as the call it makes, `NAME.__setitem__(key, value)`. A deeper target
    (`NAME[a][b] = value`) changes NAME in a way not followed: its key is left unknown."""
    if not isinstance(target, ast.Subscript):
        return None
    root = target.value
    while isinstance(root, ast.Subscript):
        root = root.value
    if not isinstance(root, ast.Name):
        return None
    key = to_expr(target.slice) if target.value is root else Opaque("Subscript", line)
    return Call(Name(f"{root.id}.__setitem__", line), (key, value), (), line)


class _Collector:
    def __init__(self, module: str, path: str, is_package: bool, kinds: frozenset[str]) -> None:
        self.module = module
        self.path = path
        self.is_package = is_package
        self.kinds = kinds
        self.imports: dict[str, str] = {}
        self.star_imports: list[str] = []
        self.classes: dict[str, ClassInfo] = {}
        self.functions: dict[str, FunctionInfo] = {}
        self.statements: list[Statement] = []

    def module_body(self, body: list[ast.stmt], conditional: bool) -> None:
        for node in body:
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                self.import_(node, conditional)
            elif isinstance(node, ast.ClassDef):
                self.class_(node, self.module)
            elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                self.functions[node.name] = _function(node, f"{self.module}.{node.name}")
            elif isinstance(node, ast.Assign) or (isinstance(node, ast.AnnAssign) and node.value is not None):
                names, value = _assign_targets(node)  # an annotation alone assigns nothing
                if names:
                    expr = to_expr(value) if value is not None else None
                    self.statements.append(
                        Statement("assign", node.lineno, tuple(names), expr, conditional=conditional)
                    )
                for target in node.targets if isinstance(node, ast.Assign) else [node.target]:
                    if isinstance(target, ast.Subscript) and node.value is not None:
                        self.setitem(target, to_expr(node.value), node.lineno, conditional)
            elif isinstance(node, ast.AugAssign) and isinstance(node.target, ast.Name):
                self.statements.append(
                    Statement(
                        "augassign",
                        node.lineno,
                        (node.target.id,),
                        to_expr(node.value),
                        op=type(node.op).__name__,
                        conditional=conditional,
                    )
                )
            elif isinstance(node, ast.AugAssign):
                self.setitem(node.target, Opaque("AugAssign", node.lineno), node.lineno, conditional)
            elif isinstance(node, ast.Expr) and isinstance(node.value, ast.Call):
                self.statements.append(Statement("call", node.lineno, value=to_expr(node.value), conditional=conditional))
            elif isinstance(node, _CONDITIONAL) or (_TRY_STAR and isinstance(node, _TRY_STAR)):
                for field in ("body", "orelse", "finalbody"):
                    self.module_body(getattr(node, field, []), True)
                for handler in getattr(node, "handlers", []):
                    self.module_body(handler.body, True)

    def setitem(self, target: ast.expr, value: Expr, line: int, conditional: bool) -> None:
        call = _setitem(target, value, line)
        if call is not None:
            self.statements.append(Statement("call", line, value=call, conditional=conditional))

    def import_(self, node: ast.Import | ast.ImportFrom, conditional: bool) -> None:
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.asname:
                    self.imports[alias.asname] = alias.name
                else:
                    top = alias.name.split(".")[0]
                    self.imports.setdefault(top, top)
            return
        base = resolve_relative(self.module, self.is_package, node.level, node.module)
        names = []
        for alias in node.names:
            if alias.name == "*":
                self.star_imports.append(base)
                self.statements.append(Statement("star-import", node.lineno, module=base, conditional=conditional))
                continue
            local = alias.asname or alias.name
            self.imports[local] = f"{base}.{alias.name}" if base else alias.name
            names.append((local, alias.name))
        if names:
            self.statements.append(
                Statement("import", node.lineno, module=base, names=tuple(names), conditional=conditional)
            )

    def class_(self, node: ast.ClassDef, outer: str) -> str:
        qualname = f"{outer}.{node.name}"
        attrs: dict[str, Expr] = {}
        attr_lines: dict[str, int] = {}
        methods: dict[str, FunctionInfo] = {}
        inner: dict[str, str] = {}
        for child in node.body:
            if isinstance(child, (ast.Assign, ast.AnnAssign)):
                names, value = _assign_targets(child)
                for name in names:
                    attrs[name] = to_expr(value) if value is not None else Name("<annotation>", child.lineno)
                    attr_lines[name] = child.lineno
            elif isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)):
                methods[child.name] = _function(child, f"{qualname}.{child.name}")
            elif isinstance(child, ast.ClassDef):
                inner[child.name] = self.class_(child, qualname)
        self.classes[qualname] = ClassInfo(
            name=node.name,
            qualname=qualname,
            module=self.module,
            line=node.lineno,
            end_line=node.end_lineno or node.lineno,
            # `ModelSerializer[Report]` (typed stubs): the base is the generic class itself
            bases=tuple(to_expr(b.value if isinstance(b, ast.Subscript) else b) for b in node.bases),
            decorators=tuple(to_expr(d) for d in node.decorator_list),
            attrs=attrs,
            attr_lines=attr_lines,
            methods=methods,
            inner=inner,
        )
        return qualname

    def info(self) -> ModuleInfo:
        return ModuleInfo(
            name=self.module,
            path=self.path,
            is_package=self.is_package,
            kinds=self.kinds,
            imports=self.imports,
            star_imports=tuple(self.star_imports),
            classes=self.classes,
            functions=self.functions,
            statements=tuple(self.statements),
        )


def collect_module(tree: ast.Module, module: str, path: str, is_package: bool, kinds: frozenset[str]) -> ModuleInfo:
    collector = _Collector(module, path, is_package, kinds)
    collector.module_body(tree.body, False)
    return collector.info()


def call_name(expr: Expr | None) -> str | None:
    """`models.ForeignKey` for `models.ForeignKey(...)`, else None."""
    if isinstance(expr, Call) and isinstance(expr.func, Name):
        return expr.func.dotted
    return None
