package render

import (
	"reflect"
	"testing"
)

func TestRender(t *testing.T) {
	t.Parallel()
	vars := map[string]any{
		"name":  "Ada <admin>",
		"count": float64(3),
		"ok":    true,
		"order": map[string]any{"number": "A-17", "total": 12.5},
		"list":  []any{"a", "b"},
	}
	tests := []struct {
		src, text, html string
	}{
		{"Hello {{name}}", "Hello Ada <admin>", "Hello Ada &lt;admin&gt;"},
		{"{{ name }}!", "Ada <admin>!", "Ada &lt;admin&gt;!"},
		{"Order {{order.number}}: {{order.total}}", "Order A-17: 12.5", "Order A-17: 12.5"},
		{"{{count}} new, ok={{ok}}", "3 new, ok=true", "3 new, ok=true"},
		{"missing: [{{nope}}] [{{order.nope.deeper}}]", "missing: [] []", "missing: [] []"},
		{"{{list}}", `["a","b"]`, `[&#34;a&#34;,&#34;b&#34;]`},
		{"no placeholders", "no placeholders", "no placeholders"},
		{"unclosed {{name", "unclosed {{name", "unclosed {{name"},
		{"empty {{}} and {{ two words }}", "empty {{}} and {{ two words }}", "empty {{}} and {{ two words }}"},
		{"<b>{{name}}</b>", "<b>Ada <admin></b>", "<b>Ada &lt;admin&gt;</b>"},
	}
	for _, tt := range tests {
		tpl := Parse(tt.src)
		if got := tpl.Text(vars); got != tt.text {
			t.Errorf("Text(%q) = %q, want %q", tt.src, got, tt.text)
		}
		if got := tpl.HTML(vars); got != tt.html {
			t.Errorf("HTML(%q) = %q, want %q", tt.src, got, tt.html)
		}
	}
}

func TestVariables(t *testing.T) {
	t.Parallel()
	got := Parse("{{a}} {{ b.c }} {{a}} {{}}").Variables()
	if want := []string{"a", "b.c"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("Variables = %v, want %v", got, want)
	}
}

func BenchmarkRender(b *testing.B) {
	tpl := Parse("Hi {{name}}, your order {{order.number}} of {{order.total}} has shipped.")
	vars := map[string]any{"name": "Ada", "order": map[string]any{"number": "A-17", "total": 12.5}}
	b.ReportAllocs()
	for b.Loop() {
		_ = tpl.HTML(vars)
	}
}
