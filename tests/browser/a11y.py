"""Automated accessibility check with axe-core (vendored: tests/browser/vendor/axe-core/README.md).

`assert_accessible(page, name)` runs axe on the page as it is (WCAG 2.x A and AA rules and axe's best
practices), writes every finding to tests/artifacts/a11y-<name>.json and fails on a serious or critical one.
axe is injected through the DevTools protocol (`page.evaluate`), which the page's CSP does not govern; it is
never served by the app.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.browser.harness import ARTIFACTS

AXE = Path(__file__).resolve().parent / "vendor" / "axe-core" / "axe.min.js"
BLOCKING = ("serious", "critical")
RUN_AXE = """async () => {
  const result = await axe.run(document, {
    runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice']},
    resultTypes: ['violations'],
  });
  return result.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.slice(0, 8).map(n => ({target: n.target.join(' '), summary: n.failureSummary})),
  }));
}"""


def assert_accessible(page: Any, name: str) -> None:
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(AXE.read_text(encoding="utf-8"))
    violations = page.evaluate(RUN_AXE)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / f"a11y-{name}.json").write_text(json.dumps(violations, indent=2), encoding="utf-8")
    blocking = [v for v in violations if v["impact"] in BLOCKING]
    assert not blocking, f"axe found serious or critical problems on {name}:\n" + "\n".join(
        f"- {v['impact']} {v['id']}: {v['help']} at {[n['target'] for n in v['nodes']]}" for v in blocking
    )
