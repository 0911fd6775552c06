package webui

import (
	"slices"
)

// Destructive actions (cancelling a request or a meeting, declining, "no
// thanks", closing an event) ask first, without JavaScript: the form posts
// once, the handler answers with a page that says what will happen and
// repeats the form with confirmed=yes; only that second post acts.

type confirmView struct {
	// Question, Consequence and Yes are message keys.
	Question, Consequence, Yes string
	Action, Back               string
	Fields                     []hiddenField
	// Detail and Items, when set, say more: a sentence, and a list of
	// what the action changes.
	Detail string
	Items  []string
}

type hiddenField struct{ Name, Value string }

// confirmed reports whether the user has said yes to the question.
func (c *call) confirmed() bool { return c.r.PostForm.Get("confirmed") == "yes" }

// askFirst shows the confirmation page for the form just posted.
func (c *call) askFirst(title, back string, v confirmView) error {
	v.Action, v.Back = c.r.URL.Path, back
	keys := make([]string, 0, len(c.r.PostForm))
	for k := range c.r.PostForm {
		if k != csrfField && k != "confirmed" {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	for _, k := range keys {
		for _, val := range c.r.PostForm[k] {
			v.Fields = append(v.Fields, hiddenField{Name: k, Value: val})
		}
	}
	return c.renderNamed("confirm", title, v)
}
