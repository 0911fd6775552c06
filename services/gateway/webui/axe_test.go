package webui_test

import (
	_ "embed"
	"strings"
)

// axeSource is axe-core (testdata/axe/README.md), injected into pages to
// check their accessibility.
//
//go:embed testdata/axe/axe.min.js
var axeSource string

type axeViolation struct {
	ID     string   `json:"id"`
	Impact string   `json:"impact"`
	Help   string   `json:"help"`
	Nodes  []string `json:"nodes"`
}

// accessible runs axe-core on the open page and fails the test on every
// serious or critical violation, naming the rule and the first elements.
func (u *user) accessible() {
	u.t.Helper()
	if !eval[bool](u, `typeof axe !== "undefined"`) {
		eval[bool](u, axeSource+";\ntrue")
	}
	vs := eval[[]axeViolation](u, `axe.run(document, {resultTypes: ["violations"]}).then(r => r.violations
		.map(v => ({id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 3).map(n => n.target.join(" "))})))`)
	rules := eval[int](u, `axe.getRules().length`)
	for _, v := range vs {
		if v.Impact == "serious" || v.Impact == "critical" {
			u.t.Errorf("%s: %s on %s: %s (%s) at %s", u.name, v.Impact, u.location(), v.ID, v.Help, strings.Join(v.Nodes, "; "))
		} else {
			u.t.Logf("%s: %s on %s: %s (%s)", u.name, v.Impact, u.location(), v.ID, v.Help)
		}
	}
	u.t.Logf("%s: axe checked %s with %d rules: %d violations", u.name, u.location(), rules, len(vs))
}

// axeCatches proves the check can fail: an image without a text
// alternative, added to the open page, is reported as critical.
func (u *user) axeCatches() {
	u.t.Helper()
	if !eval[bool](u, `typeof axe !== "undefined"`) {
		eval[bool](u, axeSource+";\ntrue")
	}
	found := eval[bool](u, `(() => {
		const img = document.createElement("img");
		img.src = "data:,"; img.id = "axe-probe";
		document.body.appendChild(img);
		return axe.run(document, {runOnly: ["image-alt"]}).then(r => {
			img.remove();
			return r.violations.some(v => v.impact === "critical" && v.nodes.some(n => n.target.join(" ").includes("axe-probe")));
		});
	})()`)
	if !found {
		u.t.Error("axe-core did not report an image without alternative text: the accessibility check cannot fail")
	}
}
