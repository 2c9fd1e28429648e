package web

import "testing"

func TestChartsMirrorInRightToLeft(t *testing.T) {
	bars := []Bar{{Label: "a", Value: 10}, {Label: "b", Value: 5}, {Label: "c", Value: 0}}
	ltr := newChart("c", "t", "d", "h", false, 0, bars)
	rtl := newChart("c", "t", "d", "h", true, 0, bars)
	span := chartWidth - chartValue - 2*chartPad
	if ltr.Bars[0].BarW != span || ltr.Bars[1].BarW != span/2 || ltr.Bars[2].BarW != 0 {
		t.Fatalf("widths %d %d %d, span %d", ltr.Bars[0].BarW, ltr.Bars[1].BarW, ltr.Bars[2].BarW, span)
	}
	if ltr.Height != 3*chartRow+2*chartPad {
		t.Errorf("height %d", ltr.Height)
	}
	for i := range bars {
		l, r := ltr.Bars[i], rtl.Bars[i]
		if l.BarX != chartPad || r.BarX+r.BarW != chartWidth-chartPad {
			t.Errorf("bar %d: ltr x %d, rtl ends at %d", i, l.BarX, r.BarX+r.BarW)
		}
		if l.LabelX+r.LabelX != chartWidth || l.ValueX+r.ValueX != chartWidth {
			t.Errorf("bar %d: labels or values not mirrored", i)
		}
		// Each label on its own line, above its bar.
		if l.TextY >= l.Y || (i > 0 && l.TextY <= ltr.Bars[i-1].Y+chartBarH) {
			t.Errorf("bar %d: label at %d, bar at %d", i, l.TextY, l.Y)
		}
		if l.Direction != "ltr" || r.Direction != "rtl" {
			t.Errorf("bar %d: directions %s %s", i, l.Direction, r.Direction)
		}
	}
	// A fixed scale: shares of 1.
	shares := newChart("s", "t", "d", "h", false, 1, []Bar{{Label: "women", Value: 0.33}})
	if w := shares.Bars[0].BarW; w < span*32/100 || w > span*34/100 {
		t.Errorf("33 %% drawn as %d of %d", w, span)
	}
	// A tiny value still shows.
	tiny := newChart("s", "t", "d", "h", false, 1000, []Bar{{Label: "x", Value: 0.1}})
	if tiny.Bars[0].BarW != 1 {
		t.Errorf("a tiny value drawn as %d", tiny.Bars[0].BarW)
	}
}

func TestTemplatesParse(t *testing.T) {
	pages, err := parseTemplates()
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"home", "council", "petition", "draft", "signin", "signin_code", "my", "desk", "manage", "bodies", "body", "audit", "history", "checkpoints", "opendata", "error", "finder"} {
		if pages[p] == nil {
			t.Errorf("no template for page %s", p)
		}
	}
}
