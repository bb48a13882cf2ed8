// Package render fills {{variable}} placeholders in notification templates.
//
// The syntax is deliberately tiny: {{name}} or {{ name }}, with dots reaching
// into nested objects ({{order.total}}). A missing variable renders as an
// empty string. There is no logic, so a template can never run code or loop.
package render

import (
	"encoding/json"
	"html"
	"strconv"
	"strings"
)

// Template is a parsed template, safe for concurrent use.
type Template struct {
	parts []part
}

type part struct {
	text string   // literal text, when path is nil
	path []string // variable path
}

// Parse parses src. It never fails: an unclosed "{{" is kept as literal text.
func Parse(src string) *Template {
	t := &Template{}
	for {
		i := strings.Index(src, "{{")
		if i < 0 {
			break
		}
		j := strings.Index(src[i+2:], "}}")
		if j < 0 {
			break
		}
		name := strings.TrimSpace(src[i+2 : i+2+j])
		if name == "" || strings.ContainsAny(name, "{} \t\n") {
			// Not a placeholder; keep it literally.
			t.parts = append(t.parts, part{text: src[:i+2]})
			src = src[i+2:]
			continue
		}
		if i > 0 {
			t.parts = append(t.parts, part{text: src[:i]})
		}
		t.parts = append(t.parts, part{path: strings.Split(name, ".")})
		src = src[i+2+j+2:]
	}
	if src != "" {
		t.parts = append(t.parts, part{text: src})
	}
	return t
}

// Variables lists the variable names the template uses, in order, once each.
func (t *Template) Variables() []string {
	var out []string
	seen := map[string]bool{}
	for _, p := range t.parts {
		if p.path == nil {
			continue
		}
		name := strings.Join(p.path, ".")
		if !seen[name] {
			seen[name] = true
			out = append(out, name)
		}
	}
	return out
}

// Text renders the template with vars, inserting values as they are.
func (t *Template) Text(vars map[string]any) string { return t.render(vars, false) }

// HTML renders the template with vars, HTML-escaping every inserted value
// (the template's own markup is kept).
func (t *Template) HTML(vars map[string]any) string { return t.render(vars, true) }

func (t *Template) render(vars map[string]any, escape bool) string {
	if len(t.parts) == 1 && t.parts[0].path == nil {
		return t.parts[0].text
	}
	var b strings.Builder
	for _, p := range t.parts {
		if p.path == nil {
			b.WriteString(p.text)
			continue
		}
		v := lookup(vars, p.path)
		if escape {
			b.WriteString(html.EscapeString(v))
		} else {
			b.WriteString(v)
		}
	}
	return b.String()
}

func lookup(vars map[string]any, path []string) string {
	var cur any = vars
	for _, key := range path {
		m, ok := cur.(map[string]any)
		if !ok {
			return ""
		}
		cur = m[key]
	}
	return format(cur)
}

func format(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case bool:
		return strconv.FormatBool(x)
	case json.Number:
		return x.String()
	default:
		b, err := json.Marshal(x)
		if err != nil {
			return ""
		}
		return string(b)
	}
}
