"""moto_patches' fix 11: UpdateExpressions parsed once per text, validated with fewer walks (local only).

moto parses an UpdateExpression twice per update (the handler to list its placeholders, the backend to apply it),
and its validator walks the tree once per check (ten of them), rebuilding the check's node-type table at every
node, after a deep copy of the tree through `copy`'s generic protocol: a quarter of the moto child's CPU in a
demo seed went to the updates inside transactions. See `local/moto_patches.py` for the list of fixes and
`tests/test_moto_patches.py` for what proves each keeps moto's answers.
"""

from __future__ import annotations

import copy
import weakref
from typing import Any


def install() -> None:
    """Fix 11: parses cached by text; a walk reads its node types once; trees copied node by node; the checks of
    an expression's shape run once per (tree, names, table key) that passes them."""
    import functools

    import moto.dynamodb.models as models
    import moto.dynamodb.responses as responses
    from moto.dynamodb.parsing.ast_nodes import DepthFirstTraverser, Node  # type: ignore[attr-defined]
    from moto.dynamodb.parsing.expressions import UpdateExpressionParser  # type: ignore[attr-defined]

    class CachedParser:
        """`UpdateExpressionParser` as both modules use it: `make(text)`, kept for the last 1,024 texts. An
        expression that does not parse raises each time (exceptions are not cached)."""

        make = staticmethod(functools.lru_cache(maxsize=1024)(UpdateExpressionParser.make))

    models.UpdateExpressionParser = CachedParser
    responses.UpdateExpressionParser = CachedParser

    plain_hook = DepthFirstTraverser.pre_processing_of_child

    def traverse(self: Any, node: Any) -> Any:
        wanted = self.nodes_to_be_processed()
        hook = None if type(self).pre_processing_of_child is plain_hook else self.pre_processing_of_child

        def walk(node: Any, child_id: int) -> Any:  # moto's traverse_node_recursively, types read once
            if isinstance(node, Node):
                parent_node = node.parent
                if node.children is not None:
                    for i, child_node in enumerate(node.children):
                        if hook is not None:
                            hook(node, i)
                        walk(child_node, i)
                if isinstance(node, wanted):
                    node = self.process(node)
                    node.parent = parent_node
                    if parent_node:
                        parent_node.children[child_id] = node
            return node

        return walk(node, -1)

    DepthFirstTraverser.traverse = traverse

    plain = (str, int, float, bool, type(None))

    def copied(value: Any, memo: dict[int, Any]) -> Any:
        if type(value) in plain:
            return value
        known = memo.get(id(value))
        if known is not None:
            return known
        if isinstance(value, Node):
            new = object.__new__(type(value))
            memo[id(value)] = new
            new.__dict__.update({name: copied(attribute, memo) for name, attribute in value.__dict__.items()})
            return new
        if type(value) is list:
            listed: list[Any] = []
            memo[id(value)] = listed
            listed.extend(copied(item, memo) for item in value)
            return listed
        return copy.deepcopy(value, memo)

    Node.__deepcopy__ = lambda self, memo: copied(self, memo)

    from moto.dynamodb.parsing import validators

    by_shape = (validators.ActionCountValidator, validators.OverlappingPathsValidator,
                validators.UpdateHashRangeKeyValidator)  # fmt: skip
    passed: weakref.WeakKeyDictionary[Any, set[Any]] = weakref.WeakKeyDictionary()  # parsed tree -> (names, key)
    original_init = validators.Validator.__init__

    def init(self: Any, expression: Any, *args: Any, **kwargs: Any) -> None:
        original_init(self, expression, *args, **kwargs)
        self.parsed = expression  # the cached tree itself, not the copy the checks work on

    def validate(self: Any) -> Any:
        names = self.expression_attribute_names or {}
        shape = (frozenset(names.items()), tuple(self.table.table_key_attrs))
        known = passed.get(self.parsed, set())
        node = self.node_to_validate
        for processor in self.processors:
            if shape in known and isinstance(processor, by_shape):
                continue  # this tree passed the checks of its shape with these names and this key already
            node = processor.traverse(node)
        passed.setdefault(self.parsed, set()).add(shape)
        return node

    validators.Validator.__init__ = init  # type: ignore[method-assign]
    validators.UpdateExpressionValidator.validate = validate  # type: ignore[method-assign]
